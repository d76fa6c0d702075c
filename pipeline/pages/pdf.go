package pages

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"os"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"sohoa/ocr"
)

// pdfDoc is a PDF parsed by pdfcpu. pdfcpu keeps the file's streams in
// memory in their encoded form, so a PDF costs about its file size in
// memory while it is split; decoded pages are made one at a time.
type pdfDoc struct {
	x     *model.Context
	pages int
}

// letter is the page size poppler assumes when a page has no MediaBox.
var letter = types.Rectangle{UR: types.Point{X: 612, Y: 792}}

// guard turns a panic in pdfcpu (hostile input reaches code paths that
// index without checking) into an error.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("pdfcpu panicked: %v", r)
	}
}

func openPDF(ctx context.Context, f *os.File, fe fileError, opts Options) (doc *pdfDoc, err error) {
	x, err := readPDF(ctx, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, pdfcpu.ErrWrongPassword) || errors.Is(err, pdfcpu.ErrUnsupportedEncryptionFeature) {
			return nil, fe.new(Encrypted, 0, err)
		}
		return nil, fe.new(Corrupt, 0, fmt.Errorf("read pdf: %w", err))
	}
	n, err := pageCount(x)
	if err != nil {
		return nil, fe.new(Corrupt, 0, fmt.Errorf("read page tree: %w", err))
	}
	if n <= 0 {
		return nil, fe.new(NoPages, 0, errors.New("page tree is empty"))
	}
	if n > opts.MaxPages {
		return nil, fe.new(TooLarge, 0, &pageCountError{pages: n, max: opts.MaxPages})
	}
	return &pdfDoc{x: x, pages: n}, nil
}

func readPDF(ctx context.Context, f *os.File) (x *model.Context, err error) {
	defer guard(&err)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	// A few kilobytes of nested Flate can inflate to gigabytes; no stream
	// of a real page needs more than maxContentBytes decoded.
	conf.Limits.MaxDecodeBytes = maxContentBytes
	return pdfcpu.ReadWithContext(ctx, f, conf)
}

func pageCount(x *model.Context) (n int, err error) {
	defer guard(&err)
	if err := x.EnsurePageCount(); err != nil {
		return 0, err
	}
	return x.PageCount, nil
}

func splitPDF(ctx context.Context, path string, f *os.File, fe fileError, opts Options, fn func(Page) error) error {
	doc, err := openPDF(ctx, f, fe, opts)
	if err != nil {
		return err
	}
	for n := 1; n <= doc.pages; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := doc.page(ctx, path, n, fe, opts)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// pdfPage is what Split needs to know about one PDF page.
type pdfPage struct {
	crop   types.Rectangle // in default user space
	rotate int             // 0, 90, 180 or 270
	// dispW and dispH are the displayed size in points, rotation applied.
	dispW, dispH float64
	content      contentSummary
	// scan is the page image when the page is one full-page image.
	scan *types.StreamDict
	// annots are the annotation rectangles that draw something, in
	// displayed points from the top left.
	annots []rect
}

func (d *pdfDoc) page(ctx context.Context, path string, n int, fe fileError, opts Options) (Page, error) {
	pp, err := d.inspect(n)
	if err != nil {
		var ce *contentSizeError
		if errors.As(err, &ce) {
			return Page{}, fe.new(TooLarge, n, err)
		}
		return Page{}, fe.new(Corrupt, n, fmt.Errorf("read page: %w", err))
	}
	dpi, gray := opts.RenderDPI, false
	if pp.scan != nil {
		img, ok, err := d.scanImage(pp.scan, pp.crop, opts)
		if err != nil {
			return Page{}, fe.pixels(n, err)
		}
		if ok {
			return Page{N: n, Image: img}, nil
		}
		// The image is in a form we do not pass through (JBIG2, CMYK,
		// DeviceN, ...): render the page at the image's own resolution so
		// no detail is lost or invented.
		dpi = clampInt(int(math.Round(float64(img.Width)/(pp.crop.Width()/72))), minRenderDPI, 600)
		gray = img.Format == "gray"
	}
	dpi, err = renderDPI(pp.dispW, pp.dispH, dpi, opts.MaxPixels)
	if err != nil {
		return Page{}, fe.new(TooLarge, n, err)
	}
	img, err := renderPage(ctx, path, n, dpi, gray, pp.dispW, pp.dispH, opts)
	if err != nil {
		return Page{}, popplerError(fe, n, err)
	}
	page := Page{N: n, Image: img}
	if pp.scan != nil || (pp.content.visibleText == 0 && pp.content.invisibleText > 0 && pp.content.forms == 0) {
		return page, nil
	}
	page.TextLayer, err = extractText(ctx, path, n, img.Width, img.Height, pp.annots, opts)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, errPopplerMissing) {
			return Page{}, err
		}
		// The page rendered; text we cannot extract is OCR'd instead.
		page.TextLayer = nil
	}
	return page, nil
}

// popplerError classifies a failed poppler run: system faults stay plain
// errors, the rest is the file's fault.
func popplerError(fe fileError, n int, err error) error {
	switch {
	case errors.Is(err, errPopplerMissing), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, errOutputTooBig):
		return fe.new(TooLarge, n, err)
	}
	return fe.new(Corrupt, n, fmt.Errorf("render page: %w", err))
}

// inspect reads page n's geometry, annotations and content, and decides
// whether it is a scan.
func (d *pdfDoc) inspect(n int) (pp pdfPage, err error) {
	defer guard(&err)
	x := d.x.XRefTable
	pd, _, inh, err := x.PageDict(n, false)
	if err != nil {
		return pp, err
	}
	if pd == nil || inh == nil {
		return pp, errors.New("missing page dictionary")
	}
	media := letter
	if inh.MediaBox != nil && inh.MediaBox.Width() > 0 && inh.MediaBox.Height() > 0 {
		media = *inh.MediaBox
	}
	pp.crop = media
	if c := inh.CropBox; c != nil {
		r := types.Rectangle{
			LL: types.Point{X: max(c.LL.X, media.LL.X), Y: max(c.LL.Y, media.LL.Y)},
			UR: types.Point{X: min(c.UR.X, media.UR.X), Y: min(c.UR.Y, media.UR.Y)},
		}
		if r.Width() > 0 && r.Height() > 0 {
			pp.crop = r
		}
	}
	pp.rotate = ((inh.Rotate % 360) + 360) % 360
	if pp.rotate%90 != 0 {
		pp.rotate = 0
	}
	pp.dispW, pp.dispH = pp.crop.Width(), pp.crop.Height()
	if pp.rotate == 90 || pp.rotate == 270 {
		pp.dispW, pp.dispH = pp.dispH, pp.dispW
	}
	pp.annots = d.annotRects(pd, pp.crop, pp.rotate)

	xobjects := map[string]*types.StreamDict{}
	if inh.Resources != nil {
		if o, ok := inh.Resources.Find("XObject"); ok {
			if xd, err := x.DereferenceDict(o); err == nil {
				for name, o := range xd {
					if sd, _, err := x.DereferenceStreamDict(o); err == nil && sd != nil {
						xobjects[name] = sd
					}
				}
			}
		}
	}
	content, err := d.pageContent(pd)
	var ce *contentSizeError
	if errors.As(err, &ce) {
		return pp, err
	}
	if err != nil && !errors.Is(err, model.ErrNoContent) {
		// Leave the judgement to poppler, which tolerates more.
		pp.content.painted = true
		return pp, nil
	}
	pp.content = scanContent(content, func(name string) xobjectKind {
		sd := xobjects[name]
		if sd == nil {
			return xobjectOther
		}
		switch st := sd.Subtype(); {
		case st != nil && *st == "Image":
			return xobjectImage
		case st != nil && *st == "Form":
			return xobjectForm
		}
		return xobjectOther
	})
	if c := pp.content; len(c.images) == 1 && c.forms == 0 && !c.painted && c.visibleText == 0 && pp.rotate == 0 {
		if sd := xobjects[c.images[0].name]; coversPage(c.images[0].ctm, pp.crop, sd) {
			pp.scan = sd
		}
	}
	return pp, nil
}

// maxContentBytes bounds the decoded size of one stream and of one page's
// content streams together. A scanned page's content is a few hundred
// bytes and a dense born-digital page's a few megabytes; tens of megabytes
// from a small file is a decompression bomb, which poppler would also
// spend minutes parsing.
const maxContentBytes = 32 << 20

// contentSizeError is the cause of a page whose content inflates beyond
// maxContentBytes.
type contentSizeError struct{ max int64 }

func (e *contentSizeError) Error() string {
	return fmt.Sprintf("page content inflates to more than %d MiB", e.max>>20)
}

// pageContent is model.XRefTable.PageContent with every stream, and their
// sum, bounded by maxContentBytes: pdfcpu decodes page content with its
// own 512 MiB default whatever the configuration says.
func (d *pdfDoc) pageContent(pd types.Dict) ([]byte, error) {
	x := d.x.XRefTable
	o, _ := pd.Find("Contents")
	if o == nil {
		return nil, model.ErrNoContent
	}
	o, err := x.Dereference(o)
	if err != nil || o == nil {
		return nil, err
	}
	var streams []types.Object
	switch v := o.(type) {
	case types.StreamDict:
		streams = []types.Object{v}
	case types.Array:
		streams = v
	default:
		return nil, fmt.Errorf("page contents is a %T", o)
	}
	var out []byte
	for _, o := range streams {
		if o == nil {
			continue
		}
		sd, _, err := x.DereferenceStreamDict(o)
		if err != nil {
			return nil, err
		}
		if sd == nil {
			continue
		}
		b, err := sd.DecodeLengthWithLimit(-1, maxContentBytes-int64(len(out)))
		if errors.Is(err, filter.ErrDecodeLimitExceeded) || int64(len(out)+len(b)) > maxContentBytes {
			return nil, &contentSizeError{max: maxContentBytes}
		}
		if filter.IsCorruptFlateInput(err) || errors.Is(err, zlib.ErrChecksum) {
			continue // as pdfcpu's relaxed mode does: poppler makes what it can of it
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
		sd.Content = nil // the page's bytes live in out; do not keep two copies
	}
	if len(out) == 0 {
		return nil, model.ErrNoContent
	}
	return out, nil
}

// coversPage reports whether an image drawn with ctm fills the crop box,
// upright and unstretched: each edge within 2% of the page size, and the
// image's pixel aspect ratio within 2% of the placed one.
func coversPage(m matrix, crop types.Rectangle, sd *types.StreamDict) bool {
	w, h := sd.IntEntry("Width"), sd.IntEntry("Height")
	if w == nil || h == nil || *w <= 0 || *h <= 0 {
		return false
	}
	a, b, c, d, e, f := m[0], m[1], m[2], m[3], m[4], m[5]
	if a <= 0 || d <= 0 || math.Abs(b) > 1e-3*a || math.Abs(c) > 1e-3*d {
		return false
	}
	tx, ty := 0.02*crop.Width(), 0.02*crop.Height()
	if math.Abs(e-crop.LL.X) > tx || math.Abs(e+a-crop.UR.X) > tx ||
		math.Abs(f-crop.LL.Y) > ty || math.Abs(f+d-crop.UR.Y) > ty {
		return false
	}
	placed, pixels := a/d, float64(*w)/float64(*h)
	return math.Abs(placed-pixels) <= 0.02*placed
}

// annotRects returns the rectangles of the page's annotations that draw
// something (have an appearance), in displayed points from the top left.
func (d *pdfDoc) annotRects(pd types.Dict, crop types.Rectangle, rotate int) []rect {
	x := d.x.XRefTable
	o, ok := pd.Find("Annots")
	if !ok {
		return nil
	}
	arr, err := x.DereferenceArray(o)
	if err != nil {
		return nil
	}
	var rs []rect
	for _, o := range arr {
		ad, err := x.DereferenceDict(o)
		if err != nil || ad == nil || !ad.HasEntry("AP") {
			continue
		}
		if st := ad.Subtype(); st != nil && (*st == "Link" || *st == "Popup") {
			continue
		}
		ra, err := x.DereferenceArray(ad["Rect"])
		if err != nil || len(ra) != 4 {
			continue
		}
		var v [4]float64
		for i := range v {
			if v[i], err = x.DereferenceNumber(ra[i]); err != nil {
				break
			}
		}
		if err != nil {
			continue
		}
		x0, y0 := toDisplay(crop, rotate, v[0], v[1])
		x1, y1 := toDisplay(crop, rotate, v[2], v[3])
		rs = append(rs, rect{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)})
	}
	return rs
}

// toDisplay maps a point in default user space to displayed points from
// the top left of the crop box, as pdftotext reports word boxes.
func toDisplay(crop types.Rectangle, rotate int, x, y float64) (float64, float64) {
	u, v := x-crop.LL.X, crop.UR.Y-y
	w, h := crop.Width(), crop.Height()
	switch rotate {
	case 90:
		return h - v, u
	case 180:
		return w - u, h - v
	case 270:
		return v, w - u
	}
	return u, v
}

// scanImage returns the page image of a scanned page without re-encoding
// where the image's encoding is one OCR engines read (JPEG, JPEG 2000,
// CCITT G4 wrapped as TIFF) or decoding it to PNM where it is raw pixels.
// ok is false when the page should be rendered instead; the returned image
// then still carries Width, Height and Format "gray" for a one-component
// image, for choosing how to render. err is a size or header problem.
func (d *pdfDoc) scanImage(sd *types.StreamDict, crop types.Rectangle, opts Options) (img ocr.Image, ok bool, err error) {
	defer guard(&err)
	w, h := *sd.IntEntry("Width"), *sd.IntEntry("Height")
	if err := checkPixels(w, h, opts.MaxPixels); err != nil {
		return ocr.Image{}, false, err
	}
	img = ocr.Image{Width: w, Height: h, DPI: math.Round(float64(w)/(crop.Width()/72)*10) / 10}
	cs, csOK := d.colorSpace(sd.Dict["ColorSpace"])
	if csOK && cs.comps == 1 && cs.palette == nil {
		img.Format = "gray"
	}
	if m := sd.BooleanEntry("ImageMask"); m != nil && *m {
		img.Format = "gray"
		return img, false, nil
	}
	decode, _ := d.x.DereferenceArray(sd.Dict["Decode"])
	fpl := sd.FilterPipeline
	last := ""
	if len(fpl) > 0 {
		last = fpl[len(fpl)-1].Name
	}
	switch {
	case len(fpl) == 1 && last == "DCTDecode":
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(sd.Raw))
		if err != nil || cfg.Width != w || cfg.Height != h || decode != nil || !csOK || cs.palette != nil {
			return img, false, nil
		}
		img.Data, img.Format = sd.Raw, "jpeg"
		return img, true, nil
	case len(fpl) == 1 && last == "JPXDecode":
		img.Data, img.Format = sd.Raw, "jp2"
		return img, true, nil
	case len(fpl) == 1 && last == "CCITTFaxDecode":
		tiff, ok := ccittToTIFF(sd.Raw, w, h, fpl[0].DecodeParms, invertedDecode(d.x.XRefTable, decode), img.DPI)
		if !ok {
			img.Format = "gray"
			return img, false, nil
		}
		img.Data, img.Format = tiff, "tiff"
		return img, true, nil
	}
	for _, f := range fpl {
		switch f.Name {
		case "FlateDecode", "LZWDecode", "RunLengthDecode", "ASCII85Decode", "ASCIIHexDecode":
		default:
			return img, false, nil
		}
	}
	if !csOK {
		return img, false, nil
	}
	data, ok := d.rawPNM(sd, w, h, cs, decode)
	if !ok {
		return img, false, nil
	}
	img.Data, img.Format = data, "pnm"
	return img, true, nil
}

// colorSpace is an image color space Split decodes itself.
type colorSpace struct {
	comps int // 1 or 3 (1 for Indexed: the index)
	// palette is the Indexed lookup table, paletteComps bytes an entry.
	palette      []byte
	paletteComps int
}

func (d *pdfDoc) colorSpace(o types.Object) (colorSpace, bool) {
	x := d.x.XRefTable
	o, err := x.Dereference(o)
	if err != nil || o == nil {
		return colorSpace{}, false
	}
	switch v := o.(type) {
	case types.Name:
		switch v {
		case "DeviceGray", "CalGray", "G":
			return colorSpace{comps: 1}, true
		case "DeviceRGB", "CalRGB", "RGB":
			return colorSpace{comps: 3}, true
		}
	case types.Array:
		if len(v) == 0 {
			return colorSpace{}, false
		}
		name, _ := v[0].(types.Name)
		switch name {
		case "CalGray":
			return colorSpace{comps: 1}, true
		case "CalRGB":
			return colorSpace{comps: 3}, true
		case "ICCBased":
			if len(v) < 2 {
				return colorSpace{}, false
			}
			sd, _, err := x.DereferenceStreamDict(v[1])
			if err != nil || sd == nil {
				return colorSpace{}, false
			}
			if n := sd.IntEntry("N"); n != nil && (*n == 1 || *n == 3) {
				return colorSpace{comps: *n}, true
			}
		case "Indexed", "I":
			if len(v) != 4 {
				return colorSpace{}, false
			}
			base, ok := d.colorSpace(v[1])
			if !ok || base.palette != nil {
				return colorSpace{}, false
			}
			hival, err := x.DereferenceInteger(v[2])
			if err != nil || hival == nil || *hival < 0 || *hival > 255 {
				return colorSpace{}, false
			}
			lookup, ok := d.bytesOf(v[3])
			if !ok || len(lookup) < (hival.Value()+1)*base.comps {
				return colorSpace{}, false
			}
			// Indices beyond hival are clamped by readers; pad the
			// table so every 8-bit index is valid.
			pal := make([]byte, 256*base.comps)
			copy(pal, lookup[:(hival.Value()+1)*base.comps])
			for i := hival.Value() + 1; i < 256; i++ {
				copy(pal[i*base.comps:], lookup[hival.Value()*base.comps:(hival.Value()+1)*base.comps])
			}
			return colorSpace{comps: 1, palette: pal, paletteComps: base.comps}, true
		}
	}
	return colorSpace{}, false
}

// bytesOf returns the bytes of a string or stream object (an Indexed
// lookup table).
func (d *pdfDoc) bytesOf(o types.Object) ([]byte, bool) {
	x := d.x.XRefTable
	o, err := x.Dereference(o)
	if err != nil {
		return nil, false
	}
	switch v := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(v.Value())
		return b, err == nil
	case types.HexLiteral:
		b, err := v.Bytes()
		return b, err == nil
	case types.StreamDict:
		b, err := v.DecodeLengthWithLimit(-1, 1<<16)
		return b, err == nil
	}
	return nil, false
}

// invertedDecode reports whether an image Decode array is [1 0] (inverted
// one-component image); nil or [0 1] is not inverted.
func invertedDecode(x *model.XRefTable, decode types.Array) bool {
	if len(decode) != 2 {
		return false
	}
	a, err1 := x.DereferenceNumber(decode[0])
	b, err2 := x.DereferenceNumber(decode[1])
	return err1 == nil && err2 == nil && a == 1 && b == 0
}

// rawPNM decodes an image of raw samples to PNM: P4 for one-bit gray, P5
// for gray, P6 for RGB and palette images. ok is false for layouts it does
// not handle and for streams that do not decode to the full image.
func (d *pdfDoc) rawPNM(sd *types.StreamDict, w, h int, cs colorSpace, decode types.Array) ([]byte, bool) {
	bpc := 8
	if b := sd.IntEntry("BitsPerComponent"); b != nil {
		bpc = *b
	}
	switch bpc {
	case 1, 2, 4, 8:
	case 16:
		if cs.palette != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	inverted := false
	if decode != nil {
		inverted = invertedDecode(d.x.XRefTable, decode)
		if !inverted || cs.comps != 1 || cs.palette != nil {
			return nil, false
		}
	}
	rowBytes := (w*cs.comps*bpc + 7) / 8
	size := int64(rowBytes) * int64(h)
	raw, err := sd.DecodeLengthWithLimit(size, size+1<<10)
	if err != nil || int64(len(raw)) < size {
		return nil, false
	}
	switch {
	case cs.palette == nil && cs.comps == 1 && bpc == 1:
		out := append(pnmHeader("P4", w, h, 1), raw...)
		if !inverted { // PDF gray 0 is black, PBM 1 is black
			hdr := len(out) - len(raw)
			for i := hdr; i < len(out); i++ {
				out[i] = ^out[i]
			}
		}
		return out, true
	case cs.palette == nil && bpc >= 8:
		maxval := 1<<bpc - 1
		magic := "P5"
		if cs.comps == 3 {
			magic = "P6"
		}
		if inverted {
			inv := make([]byte, len(raw))
			for i, b := range raw {
				inv[i] = ^b
			}
			raw = inv
		}
		return append(pnmHeader(magic, w, h, maxval), raw...), true
	}
	// Sub-byte samples or a palette: expand to 8-bit gray or RGB.
	outComps := cs.comps
	if cs.palette != nil {
		outComps = cs.paletteComps
	}
	magic := "P5"
	if outComps == 3 {
		magic = "P6"
	}
	hdr := pnmHeader(magic, w, h, 255)
	out := make([]byte, len(hdr), len(hdr)+w*h*outComps)
	copy(out, hdr)
	maxSample := 1<<bpc - 1
	for y := 0; y < h; y++ {
		row := raw[y*rowBytes : (y+1)*rowBytes]
		for i := 0; i < w*cs.comps; i++ {
			bit := i * bpc
			s := int(row[bit/8]>>(8-bpc-bit%8)) & maxSample
			switch {
			case cs.palette != nil:
				out = append(out, cs.palette[s*outComps:(s+1)*outComps]...)
			case inverted:
				out = append(out, byte(255-s*255/maxSample))
			default:
				out = append(out, byte(s*255/maxSample))
			}
		}
	}
	return out, true
}
