package archive

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"testing"

	"sohoa/ocr"
)

// BenchmarkWritePage measures AddPage for an A4 page at 300 dpi with the
// real page's 350 OCR words, for each way a page image reaches the archive:
// a JPEG scan (copied), PNG scans (the image data copied, or decoded when
// they have alpha), the PNM images the pages package decodes TIFF and PDF
// pages to, and the CCITT G4 TIFF it wraps a PDF's fax image in. B/page is
// the size of the page in the PDF.
func BenchmarkWritePage(b *testing.B) {
	page := realPage(b)
	decoded, err := jpeg.Decode(bytes.NewReader(page.Image.Data))
	if err != nil {
		b.Fatal(err)
	}
	rgb := image.NewRGBA(decoded.Bounds())
	draw.Draw(rgb, rgb.Bounds(), decoded, image.Point{}, draw.Src)
	gray := image.NewGray(decoded.Bounds())
	draw.Draw(gray, gray.Bounds(), decoded, image.Point{}, draw.Src)
	bilevel := g4Bilevel(b)
	alpha := image.NewNRGBA(gray.Bounds())
	draw.Draw(alpha, alpha.Bounds(), gray, image.Point{}, draw.Src)
	alpha.Pix[3] = 0 // else the encoder drops the alpha channel

	for _, bm := range []struct {
		name string
		img  ocr.Image
	}{
		{"jpeg", page.Image},
		{"png-grey", ocr.Image{Data: encodePNG(b, gray), DPI: 300}},
		{"png-rgb", ocr.Image{Data: encodePNG(b, rgb), DPI: 300}},
		{"png-bilevel-8bit", ocr.Image{Data: encodePNG(b, bilevel), DPI: 300}},
		{"png-bilevel-1bit", ocr.Image{Data: grayPNG(b, bilevel, 1), DPI: 300}},
		{"png-alpha", ocr.Image{Data: encodePNG(b, alpha), DPI: 300}},
		{"pnm-grey", ocr.Image{Data: pgm(gray), DPI: 300}},
		{"pnm-rgb", ocr.Image{Data: ppm(rgb, false), DPI: 300}},
		{"pnm-bilevel", ocr.Image{Data: pbm(bilevel, false), DPI: 300}},
		{"tiff-g4", ocr.Image{Data: ccittTIFF(b, 0), DPI: 300}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var out countingWriter
			w, err := NewWriter(&out, testMeta)
			if err != nil {
				b.Fatal(err)
			}
			p := Page{Image: bm.img, Text: page.Text}
			b.SetBytes(int64(len(bm.img.Data)))
			b.ReportAllocs()
			start := out.n
			for b.Loop() {
				if err := w.AddPage(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.n-start)/float64(b.N), "B/page")
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
