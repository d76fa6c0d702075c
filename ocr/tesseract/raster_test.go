package tesseract

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/draw"
	"image/png"
	"math"
	"reflect"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
)

// TestRasterReadsAsTheOriginal recognizes real-looking pages (the
// generated scans of the pipeline's tests: grey and colour, 200 and 300
// dpi, clean and degraded, PNG with and without a resolution, PPM and PGM)
// twice with real Tesseract: once from the page's own bytes, decoded by
// Leptonica as before, and once from the raster the engine lays out in Go.
// Text, word boxes and confidences must be the same, to the bit.
func TestRasterReadsAsTheOriginal(t *testing.T) {
	if testing.Short() {
		t.Skip("recognizes a dozen pages")
	}
	direct, fast := newEngine(t), newEngine(t)
	direct.passBytes = true
	render := func(seed int64, dpi int, degrade bool) image.Image {
		t.Helper()
		d := fixtures.NewDoc(seed)
		pages, err := fixtures.Render(d, fixtures.Options{DPI: dpi, Degrade: degrade, Format: "png"})
		if err != nil {
			t.Fatal(err)
		}
		return pages[0]
	}
	grey := func(m image.Image) *image.Gray {
		g := image.NewGray(m.Bounds())
		draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
		return g
	}
	rgb := func(m image.Image) *image.RGBA {
		c := image.NewRGBA(m.Bounds())
		draw.Draw(c, c.Rect, m, m.Bounds().Min, draw.Src)
		return c
	}
	tests := []struct {
		name string
		img  ocr.Image
	}{
		{"png rgb 300 dpi clean", pngPage(t, rgb(render(9_100_000, 300, false)), 300)},
		{"png rgb 300 dpi degraded", pngPage(t, rgb(render(9_100_001, 300, true)), 300)},
		{"png grey 200 dpi clean", pngPage(t, grey(render(9_100_002, 200, false)), 200)},
		{"png grey 300 dpi degraded", pngPage(t, grey(render(9_100_003, 300, true)), 300)},
		{"png rgb 200 dpi degraded, no pHYs", pngPage(t, rgb(render(9_100_004, 200, true)), 0)},
		{"ppm 200 dpi degraded", pnmPage(rgb(render(9_100_005, 200, true)), 200)},
		{"pgm 200 dpi clean", pnmPage(grey(render(9_100_006, 200, false)), 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := direct.Recognize(context.Background(), tt.img)
			if err != nil {
				t.Fatalf("recognize the page's own bytes: %v", err)
			}
			got, err := fast.Recognize(context.Background(), tt.img)
			if err != nil {
				t.Fatalf("recognize the raster: %v", err)
			}
			if len(fast.page.buf) == 0 {
				t.Fatal("the engine did not lay out a raster for this page")
			}
			if len(want.Words) < 20 {
				t.Fatalf("only %d words read from the page's own bytes: not a page to compare on", len(want.Words))
			}
			if got.Text != want.Text {
				t.Errorf("text differs:\n got %q\nwant %q", got.Text, want.Text)
			}
			if !reflect.DeepEqual(got.Words, want.Words) {
				for i := range min(len(got.Words), len(want.Words)) {
					if got.Words[i] != want.Words[i] {
						t.Fatalf("word %d of %d/%d: got %+v, want %+v", i, len(got.Words), len(want.Words), got.Words[i], want.Words[i])
					}
				}
				t.Fatalf("got %d words, want %d", len(got.Words), len(want.Words))
			}
			if got.Confidence != want.Confidence || got.Width != want.Width || got.Height != want.Height {
				t.Errorf("page: got %v %d×%d, want %v %d×%d", got.Confidence, got.Width, got.Height, want.Confidence, want.Width, want.Height)
			}
		})
	}
}

// pngPage encodes m as a PNG, with a pHYs chunk of dpi when dpi > 0, the
// way fixtures and scanners write it.
func pngPage(t *testing.T, m image.Image, dpi int) ocr.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if dpi > 0 {
		const ihdrEnd = 8 + 4 + 4 + 13 + 4
		ppm := uint32(math.Round(float64(dpi) / 0.0254))
		body := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, ppm), ppm)
		chunk := binary.BigEndian.AppendUint32(nil, 9)
		chunk = append(append(chunk, "pHYs"...), append(body, 1)...)
		chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
		data = append(append(append([]byte(nil), data[:ihdrEnd]...), chunk...), data[ihdrEnd:]...)
	}
	b := m.Bounds()
	return ocr.Image{Data: data, Format: "png", Width: b.Dx(), Height: b.Dy(), DPI: float64(dpi)}
}

// pnmPage writes m as a raw PGM (grey) or PPM, as the pipeline hands
// Tesseract a TIFF or PDF page.
func pnmPage(m image.Image, dpi int) ocr.Image {
	b := m.Bounds()
	var data []byte
	switch m := m.(type) {
	case *image.Gray:
		data = fmt.Appendf(nil, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
		data = append(data, m.Pix...)
	case *image.RGBA:
		data = fmt.Appendf(nil, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
		for i := 0; i < len(m.Pix); i += 4 {
			data = append(data, m.Pix[i:i+3]...)
		}
	}
	return ocr.Image{Data: data, Format: "pnm", Width: b.Dx(), Height: b.Dy(), DPI: float64(dpi)}
}

// TestRasterDeclines checks the pages fill leaves to Leptonica as they
// come: a PNG with a damaged chunk or cut short (Leptonica then reports
// it, as before), and a PNG whose resolution only its pHYs chunk gives,
// which the raster would lose.
func TestRasterDeclines(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			m.Pix[i] = 0xff // opaque
		}
	}
	good := pngPage(t, m, 300)
	var r raster
	defer r.free()
	if !r.fill(good) {
		t.Fatal("fill declined an opaque 8-bit colour PNG")
	}
	damaged := good
	damaged.Data = bytes.Clone(good.Data)
	damaged.Data[len(damaged.Data)-20] ^= 0x40 // inside IDAT
	cut := good
	cut.Data = good.Data[:len(good.Data)-30]
	onlyPHYs := good
	onlyPHYs.DPI = 0
	noPHYs := pngPage(t, m, 0)
	for name, img := range map[string]ocr.Image{"damaged": damaged, "cut short": cut, "resolution only in pHYs": onlyPHYs} {
		if r.fill(img) {
			t.Errorf("%s: fill took it", name)
		}
		if len(r.buf) != 0 {
			t.Errorf("%s: a raster is left", name)
		}
	}
	if !r.fill(noPHYs) {
		t.Error("fill declined a PNG without pHYs (Tesseract takes 70 dpi for it either way)")
	}
}
