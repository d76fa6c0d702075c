package archive

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
	"testing"

	"sohoa/ocr"
)

// BenchmarkWritePage measures AddPage for an A4 page at 300 dpi with the
// real page's 350 OCR words: a JPEG scan (copied), and PNG scans that are
// decoded and compressed again (grey, and black and white).
func BenchmarkWritePage(b *testing.B) {
	page := realPage(b)
	decoded, err := jpeg.Decode(bytes.NewReader(page.Image.Data))
	if err != nil {
		b.Fatal(err)
	}
	gray := image.NewGray(decoded.Bounds())
	draw.Draw(gray, gray.Bounds(), decoded, image.Point{}, draw.Src)
	bilevel := paper(2480, 3508, page.Text.Words)
	for _, bm := range []struct {
		name string
		img  ocr.Image
	}{
		{"jpeg", page.Image},
		{"png-grey", ocr.Image{Data: encodePNG(b, gray), DPI: 300}},
		{"png-bilevel", ocr.Image{Data: encodePNG(b, bilevel), DPI: 300}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			w, err := NewWriter(io.Discard, testMeta)
			if err != nil {
				b.Fatal(err)
			}
			p := Page{Image: bm.img, Text: page.Text}
			b.SetBytes(int64(len(bm.img.Data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.AddPage(p); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
