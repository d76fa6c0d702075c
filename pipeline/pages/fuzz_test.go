package pages

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"
)

// FuzzSplit feeds arbitrary bytes to Split with tight limits: it must never
// panic, and every failure must be the clerk's *InputError (poppler is
// installed, so there is no system fault to report).
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
	opts := Options{MaxPixels: 1 << 22, MaxPages: 3, RenderDPI: 36, RenderTimeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeFile(t, "fuzz.bin", data)
		next := 1
		err := Split(t.Context(), path, opts, func(p Page) error {
			if p.N != next {
				t.Fatalf("page %d came as number %d", next, p.N)
			}
			next++
			img := p.Image
			if len(img.Data) == 0 || img.Width <= 0 || img.Height <= 0 || int64(img.Width)*int64(img.Height) > opts.MaxPixels*2 {
				t.Fatalf("page %d: bad image %s %d×%d, %d bytes", p.N, img.Format, img.Width, img.Height, len(img.Data))
			}
			return nil
		})
		var ie *InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("Split: %v (not an InputError)", err)
		}
		if next-1 > opts.MaxPages {
			t.Fatalf("%d pages passed MaxPages %d", next-1, opts.MaxPages)
		}
	})
}
