package tesseract

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"sohoa/ocr"
)

// FuzzRasterFill feeds arbitrary bytes to the raster's PNG and PNM paths:
// a clerk's file reaches them as it is. It must never panic, and whatever
// it accepts must be a whole raster — of a PNG Go's own decoder reads too,
// at the same size (TestRasterReadsAsTheOriginal and
// TestReadRegionMatchesGoDecoders check the pixels), or of a PGM/PPM.
func FuzzRasterFill(f *testing.F) {
	grey := image.NewGray(image.Rect(0, 0, 7, 3))
	rgb := image.NewRGBA(image.Rect(0, 0, 5, 4))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 37)
	}
	for y := range 4 {
		for x := range 5 {
			rgb.Set(x, y, color.RGBA{uint8(40 * x), uint8(60 * y), uint8(x * y), 255})
		}
	}
	for _, m := range []image.Image{grey, rgb} {
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("P5\n3 2\n255\n\x00\x10\x20\x30\x40\x50"))
	f.Add([]byte("P6 1 1 255 \xff\x00\x7f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r raster
		defer r.free()
		if !r.fill(ocr.Image{Data: data, DPI: 300}) {
			return
		}
		if r.w <= 0 || r.h <= 0 || len(r.buf) != spixHeader+4*r.wpl*r.h {
			t.Fatalf("accepted a %d×%d raster with %d bytes for %d words a row", r.w, r.h, len(r.buf), r.wpl)
		}
		if !bytes.HasPrefix(data, pngSignature) {
			return
		}
		m, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("accepted a PNG image/png refuses: %v", err)
		}
		if b := m.Bounds(); b.Dx() != r.w || b.Dy() != r.h {
			t.Fatalf("raster %d×%d, image/png %d×%d", r.w, r.h, b.Dx(), b.Dy())
		}
	})
}
