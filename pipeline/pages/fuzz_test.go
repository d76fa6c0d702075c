package pages

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"sohoa/fixtures"
)

// The fuzz targets: run one with
//
//	go test -run='^$' -fuzz='^FuzzSplitPDF$' -fuzztime=30s ./pipeline/pages
//
// Their seed corpora are in testdata/fuzz/<name>/ (small versions of every
// kind of fixtures.WriteBad and WriteOdd) plus the seeds they add.

// fuzzOpts are tight limits, so that one input costs little. The render
// timeout is generous because CI machines are busy: poppler still hanging
// after it is a finding (Split returns the deadline, not an InputError).
var fuzzOpts = Options{MaxPixels: 1 << 22, MaxPages: 3, RenderDPI: 36, RenderTimeout: 20 * time.Second}

// badSeeds adds the fixtures' small bad inputs whose bytes sniff as one of
// formats (all of them when formats is empty).
func badSeeds(f *testing.F, formats ...Format) {
	seeds, err := fixtures.BadSeeds()
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range seeds {
		if len(formats) == 0 {
			f.Add(b)
			continue
		}
		for _, ft := range formats {
			if Sniff(b) == ft {
				f.Add(b)
			}
		}
	}
}

// checkSplit runs Split and Count on data: neither may panic, every
// failure must be the clerk's *InputError (poppler is installed, so there
// is no system fault to report), pages come numbered in order, each within
// the pixel limit with bytes bounded by its size, and no input takes long.
func checkSplit(t *testing.T, data []byte) {
	opts := fuzzOpts
	path := writeFile(t, "fuzz.bin", data)
	start := time.Now()
	next := 1
	err := Split(t.Context(), path, opts, func(p Page) error {
		if p.N != next {
			t.Fatalf("page %d came as number %d", next, p.N)
		}
		next++
		img := p.Image
		px := int64(img.Width) * int64(img.Height)
		if len(img.Data) == 0 || img.Width <= 0 || img.Height <= 0 || px > opts.MaxPixels*2 {
			t.Fatalf("page %d: bad image %s %d×%d, %d bytes", p.N, img.Format, img.Width, img.Height, len(img.Data))
		}
		if int64(len(img.Data)) > 8*px+16<<20 {
			t.Fatalf("page %d: %d bytes for a %d×%d image", p.N, len(img.Data), img.Width, img.Height)
		}
		return nil
	})
	var ie *InputError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("Split: %v (not an InputError)", err)
	}
	if ie != nil && (ie.Message() == "" || ie.File == "") {
		t.Fatalf("Split: InputError without a message or file: %#v", ie)
	}
	if next-1 > opts.MaxPages {
		t.Fatalf("%d pages passed MaxPages %d", next-1, opts.MaxPages)
	}
	n, cerr := Count(t.Context(), path, opts)
	if cerr != nil && !errors.As(cerr, &ie) {
		t.Fatalf("Count: %v (not an InputError)", cerr)
	}
	if err == nil && cerr == nil && n != next-1 {
		t.Fatalf("Count says %d pages, Split gave %d", n, next-1)
	}
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("took %v", d)
	}
}

// FuzzSplit feeds arbitrary bytes to Split, whatever their format.
func FuzzSplit(f *testing.F) {
	g4, err := os.ReadFile("testdata/g4-2pages.tif")
	if err != nil {
		f.Fatal(err)
	}
	page := tiffPage{w: 8, h: 2, bits: 8, spp: 1, photometric: 1, compression: 8, dpi: 300, pix: make([]byte, 16)}
	w := &pdfWriter{}
	font, enc := unicodeFont(w, "Quyết định")
	vector := pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 200 200", resources: "/Font << /F1 " + strconv.Itoa(font) + " 0 R >>",
		content: []byte("BT /F1 12 Tf 10 100 Td (" + enc("Quyết định") + ") Tj ET 0 0 1 rg 10 10 50 50 re f")}})
	for _, seed := range [][]byte{
		jpegBytes(f, 16, 16, 300),
		pngBytes(f, 16, 16, 300),
		tiffBytes(f, []tiffPage{page, page}),
		g4,
		importedJPEGPDF(f, jpegBytes(f, 16, 16, 0)),
		rawImagePDF("/Width 4 /Height 6 /ColorSpace /DeviceGray /BitsPerComponent 8", make([]byte, 24), ""),
		vector,
		[]byte("hello"),
	} {
		f.Add(seed)
	}
	badSeeds(f)
	f.Fuzz(checkSplit)
}

// FuzzSplitPDF fuzzes the PDF path: pdfcpu's parser, the page inspection
// and scan pass-through, and poppler for pages that are rendered.
func FuzzSplitPDF(f *testing.F) {
	w := &pdfWriter{}
	font, enc := unicodeFont(w, "Số: 86/QĐ-UBND")
	f.Add(pagesPDF(w, []pdfPageSpec{{mediaBox: "0 0 300 300", resources: "/Font << /F1 " + strconv.Itoa(font) + " 0 R >>",
		content: []byte("BT /F1 12 Tf 10 100 Td (" + enc("Số: 86/QĐ-UBND") + ") Tj ET")}}))
	f.Add(importedJPEGPDF(f, jpegBytes(f, 32, 32, 0)))
	f.Add(rawImagePDF("/Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 1", make([]byte, 8), ""))
	f.Add(rawImagePDF("/Width 2 /Height 2 /ColorSpace [/Indexed /DeviceRGB 1 <000000ffffff>] /BitsPerComponent 8", []byte{0, 1, 1, 0}, ""))
	badSeeds(f, FormatPDF)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.Contains(data, []byte("%PDF-")) {
			data = append([]byte("%PDF-1.7\n"), data...)
		}
		checkSplit(t, data)
	})
}

// FuzzSplitTIFF fuzzes the TIFF path: IFD chains, strips, and the
// decoders for each compression.
func FuzzSplitTIFF(f *testing.F) {
	g4, err := os.ReadFile("testdata/g4-2pages.tif")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(g4)
	gray := tiffPage{w: 8, h: 4, bits: 8, spp: 1, photometric: 1, compression: 8, dpi: 300, pix: make([]byte, 32)}
	rgb := tiffPage{w: 4, h: 4, bits: 8, spp: 3, photometric: 2, compression: 1, dpi: 200, pix: make([]byte, 48)}
	f.Add(tiffBytes(f, []tiffPage{gray, rgb}))
	badSeeds(f, FormatTIFF)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte("II*\x00")) && !bytes.HasPrefix(data, []byte("MM\x00*")) {
			data = append([]byte("II*\x00"), data...)
		}
		checkSplit(t, data)
	})
}

// FuzzSplitImage fuzzes the JPEG and PNG path: header checks, EXIF
// orientation (which decodes), and the truncation checks.
func FuzzSplitImage(f *testing.F) {
	f.Add(jpegBytes(f, 16, 16, 300))
	f.Add(pngBytes(f, 16, 16, 300))
	badSeeds(f, FormatJPEG, FormatPNG)
	f.Fuzz(checkSplit)
}

// FuzzSniff checks that sniffing looks only at the head, never panics,
// and agrees with the magic numbers it claims.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"%PDF-1.7", "junk%PDF-1.4", "\x89PNG\r\n\x1a\n", "\xff\xd8\xff\xe0", "II*\x00", "MM\x00*",
		"II+\x00", "GIF89a", "BM\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "RIFF\x00\x00\x00\x00WEBP",
		"\x00\x00\x00\x18ftypheic", "%!PS-Adobe-3.0", "PK\x03\x04", "<!DOCTYPE html>", ""} {
		f.Add([]byte(s))
	}
	badSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Sniff(data)
		switch got {
		case FormatPDF, FormatTIFF, FormatJPEG, FormatPNG, FormatUnknown:
		default:
			t.Fatalf("Sniff returned %q", got)
		}
		// More bytes never change a format recognised at the start.
		if got != FormatUnknown && got != FormatPDF && Sniff(append(data[:len(data):len(data)], 0)) != got {
			t.Fatal("appending a byte changed the format")
		}
		if len(data) > sniffLen && Sniff(data[:sniffLen]) != got {
			t.Fatalf("Sniff looks past its %d bytes", sniffLen)
		}
		prefix := map[Format][]string{
			FormatPNG:  {"\x89PNG\r\n\x1a\n"},
			FormatJPEG: {"\xff\xd8\xff"},
			FormatTIFF: {"II*\x00", "MM\x00*"},
		}
		if ps, ok := prefix[got]; ok {
			found := false
			for _, p := range ps {
				found = found || bytes.HasPrefix(data, []byte(p))
			}
			if !found {
				t.Fatalf("Sniff says %s without its magic number", got)
			}
		}
		if got == FormatPDF && !bytes.Contains(data[:min(len(data), sniffLen)], []byte("%PDF-")) {
			t.Fatal("Sniff says PDF without %PDF- in the head")
		}
		if got.ContentType() == "" {
			t.Fatalf("%s has no content type", got)
		}
		if name := unsupportedImage(data); name != "" && got != FormatUnknown {
			t.Fatalf("%s is both %s and unsupported %s", data, got, name)
		}
	})
}
