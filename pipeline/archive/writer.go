// Package archive writes the archival copy of a scanned document: a PDF/A-2b
// file whose pages are the scanned images, each under an invisible layer of
// its OCR text, so the copy looks exactly like the scan and can be searched,
// selected and copied.
//
// The writer streams: each page's objects go out as soon as AddPage is
// called and only their offsets are kept, so memory is bounded by one page
// whatever the page count. JPEG and JPEG 2000 scans are embedded byte for
// byte, and so are a PNG's compressed image data and a fax TIFF's Group 4
// strip when PDF reads them as they are (most scans); other PNG, PNM and
// TIFF scans are decoded and stored losslessly. Nothing is decompressed
// that need not be: the archive is written beside OCR, on the same cores.
//
// PDF/A-2b conformance is aimed at, not certified: pdfcpu validates the
// output in the tests, but no PDF/A validator (veraPDF) runs here. Known
// gaps: CMYK page images (JPEG or TIFF) use DeviceCMYK while the output
// intent is sRGB, which PDF/A forbids; and a JPEG 2000 page is only as
// conformant as the file the scanner wrote.
package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"sohoa/ocr"
)

// Page is one page of the archive: the scanned image and its OCR text. The
// text layer is drawn from Text.Words alone (Text.Text is not read): word
// boxes in pixels of a Text.Width × Text.Height image (the image's own size
// when those are zero), lines in the order of Word.Line.
type Page struct {
	Image ocr.Image
	Text  ocr.Page
}

// ErrClosed is returned by AddPage after Close.
var ErrClosed = errors.New("archive writer is closed")

// ErrNoPages is returned by Close when no page was added: a PDF needs at
// least one.
var ErrNoPages = errors.New("archive has no pages")

// maxPageSize is the largest page side PDF 1.7 (and so PDF/A-2) allows, in
// points: 200 inches.
const maxPageSize = 14400

// Writer writes an archival PDF to an io.Writer. It is not safe for
// concurrent use.
type Writer struct {
	o       *objectWriter
	meta    Meta
	catalog int
	pages   int // the page tree, written by Close
	info    int
	font    int
	kids    []int
	closed  bool
}

// NewWriter starts an archival PDF on w: it writes the header, metadata,
// output intent and text font at once. The caller closes w after Close.
func NewWriter(w io.Writer, meta Meta) (*Writer, error) {
	a := &Writer{
		o:    newObjectWriter(w, sha256.New()),
		meta: meta.normalize(time.Now),
	}
	o := a.o
	// The comment's bytes above 127 tell transfer programs the file is
	// binary; PDF/A requires it.
	o.print("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	a.catalog, a.pages, a.info = o.reserve(), o.reserve(), o.reserve()
	metadata, intent := o.reserve(), o.reserve()

	o.object(a.catalog, fmt.Sprintf("<</Type /Catalog /Pages %d 0 R /Metadata %d 0 R"+
		" /OutputIntents [%d 0 R] /Lang %s>>", a.pages, metadata, intent, textString(a.meta.Lang)))
	o.object(a.info, a.meta.infoDict())
	// PDF/A wants the XMP readable without decoding: no filter.
	o.stream(metadata, "/Type /Metadata /Subtype /XML", a.meta.xmp())
	writeOutputIntent(o, intent)
	a.font = writeFont(o)
	if err := o.flush(); err != nil {
		return nil, fmt.Errorf("write archive header: %w", err)
	}
	return a, nil
}

// AddPage writes one page: its image, its invisible text and the page
// object, then flushes them to the underlying writer. The page is
// image-width ÷ DPI × 72 points wide (likewise high), with DPI from
// p.Image.DPI, else the image file's header, else 300.
//
// An image that cannot be read returns an error wrapping
// ErrUnsupportedImage or the decoder's error and writes nothing, so the
// caller may go on with the next page. A failure to write is kept and
// returned by every later call.
func (a *Writer) AddPage(p Page) error {
	if a.closed {
		return ErrClosed
	}
	if a.o.err != nil {
		return a.o.err
	}
	n := len(a.kids) + 1
	img, err := preparePage(p.Image)
	if err != nil {
		return fmt.Errorf("page %d: %w", n, err)
	}
	dpiX, dpiY := img.dpiX, img.dpiY
	if p.Image.DPI > 0 {
		dpiX, dpiY = p.Image.DPI, p.Image.DPI
	}
	if dpiX <= 0 || dpiY <= 0 {
		dpiX, dpiY = defaultDPI, defaultDPI
	}
	pageW := float64(img.width) * 72 / dpiX
	pageH := float64(img.height) * 72 / dpiY
	if pageW > maxPageSize || pageH > maxPageSize || pageW < 3 || pageH < 3 {
		return fmt.Errorf("page %d: a %d×%d image at %g×%g dpi makes a %.0f×%.0f pt page, outside PDF's 3 to 14,400 pt: check the scan resolution",
			n, img.width, img.height, dpiX, dpiY, pageW, pageH)
	}

	var content bytes.Buffer
	// Round the page size once so the image fills the MediaBox exactly.
	w, h := num(pageW), num(pageH)
	fmt.Fprintf(&content, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", w, h)
	refW, refH := p.Text.Width, p.Text.Height
	if refW <= 0 || refH <= 0 {
		refW, refH = img.width, img.height
	}
	writeText(&content, p.Text.Words, refW, refH, pageW, pageH)

	o := a.o
	xobject, contents, page := o.reserve(), o.reserve(), o.reserve()
	dict := fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d%s", img.width, img.height, img.dict)
	if img.raw != nil {
		o.stream(xobject, dict, img.raw...)
	} else {
		body, done := o.openStream(xobject, dict)
		if err := img.raster.writeSamples(body); err != nil {
			// Half a stream is written: the file cannot be finished.
			if o.err == nil {
				o.err = err
			}
			return fmt.Errorf("page %d: write image: %w", n, err)
		}
		done()
	}
	o.stream(contents, "/Filter /FlateDecode", deflate(content.Bytes()))
	o.object(page, fmt.Sprintf("<</Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s]"+
		" /Resources <</XObject <</Im0 %d 0 R>> /Font <</%s %d 0 R>>>> /Contents %d 0 R>>",
		a.pages, w, h, xobject, fontResource, a.font, contents))
	if err := o.flush(); err != nil {
		return fmt.Errorf("page %d: write: %w", n, err)
	}
	a.kids = append(a.kids, page)
	return nil
}

// Close writes the page tree, the cross-reference table and the trailer,
// and flushes. It does not close the underlying writer. Closing twice
// returns nil the second time.
func (a *Writer) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	o := a.o
	if o.err != nil {
		return o.err
	}
	if len(a.kids) == 0 {
		return ErrNoPages
	}
	var kids bytes.Buffer
	for i, k := range a.kids {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", k)
	}
	o.object(a.pages, fmt.Sprintf("<</Type /Pages /Kids [%s] /Count %d>>", kids.String(), len(a.kids)))
	start, err := o.xref()
	if err != nil {
		return fmt.Errorf("close archive: %w", err)
	}
	// The ID is a digest of everything before the trailer: stable for the
	// same input, different for any other.
	id := fmt.Sprintf("<%X>", o.digest.Sum(nil)[:16])
	o.printf("trailer\n<</Size %d /Root %d 0 R /Info %d 0 R /ID [%s %s]>>\nstartxref\n%d\n%%%%EOF\n",
		len(o.offsets), a.catalog, a.info, id, id, start)
	if err := o.flush(); err != nil {
		return fmt.Errorf("close archive: %w", err)
	}
	return nil
}
