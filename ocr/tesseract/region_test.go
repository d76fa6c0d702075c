package tesseract

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	_ "sohoa/pipeline/netpbm" // image.Decode reads PNM, as the pipeline's does

	"sohoa/ocr"
)

// TestReadRegionMatchesGoDecoders checks that the pixels the engine hands
// back from the raster it gave Tesseract are, pixel for pixel, the ones
// Go's decoder gives for the same bytes, as the handwriting reader sees
// them (see rgb8), for every kind of PNG and Netpbm page it lays out; and
// that it declines the others (their pages go to Leptonica as they are).
func TestReadRegionMatchesGoDecoders(t *testing.T) {
	e := newEngine(t)
	const w, h = 320, 180
	rng := rand.New(rand.NewPCG(6, 6))
	// A page-like picture: paper with a gradient, dark strokes, a red
	// blot, and noise, so every sample value and channel matters.
	at := func(x, y int) (r, g, b uint8) {
		v := 230 - (x+y)%40 + rng.IntN(20)
		r, g, b = uint8(v), uint8(v-rng.IntN(10)), uint8(v-rng.IntN(30))
		if (x/7+y/5)%9 == 0 {
			r, g, b = uint8(rng.IntN(60)), uint8(rng.IntN(60)), uint8(80+rng.IntN(100))
		}
		if (x-200)*(x-200)+(y-90)*(y-90) < 900 {
			r, g, b = 200+uint8(rng.IntN(50)), uint8(rng.IntN(80)), uint8(rng.IntN(80))
		}
		return r, g, b
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	bilevel := make([][]bool, h)
	for y := range h {
		bilevel[y] = make([]bool, w)
		for x := range w {
			r, g, b := at(x, y)
			rgba.SetRGBA(x, y, color.RGBA{r, g, b, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{r, g, b, uint8(128 + rng.IntN(128))})
			gray.SetGray(x, y, color.Gray{g})
			gray16.SetGray16(x, y, color.Gray16{uint16(g)<<8 | uint16(rng.IntN(256))})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(r)<<8 | uint16(rng.IntN(256)), uint16(g) << 8, uint16(b)<<8 | 0xff, 0xffff})
			bilevel[y][x] = g < 128
		}
	}
	encPNG := func(m image.Image) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, rgba, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black, color.RGBA{200, 0, 0, 255}})
	for y := range h {
		for x := range w {
			pal.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}
	pnm := func(magic string, maxval int, sample func(x, y int) []byte) []byte {
		b := fmt.Appendf(nil, "%s\n# scanner\n%d %d\n", magic, w, h)
		if magic != "P4" {
			b = fmt.Appendf(b, "%d\n", maxval)
		}
		for y := range h {
			if magic == "P4" {
				row := make([]byte, (w+7)/8)
				for x := range w {
					if bilevel[y][x] {
						row[x/8] |= 0x80 >> (x % 8)
					}
				}
				b = append(b, row...)
				continue
			}
			for x := range w {
				b = append(b, sample(x, y)...)
			}
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		want bool // the engine hands the pixels back
	}{
		{"png rgb", encPNG(rgba), true},
		{"png rgba", encPNG(nrgba), false},
		{"png grey", encPNG(gray), true},
		{"png grey 16-bit", encPNG(gray16), false},
		{"png rgb 16-bit", encPNG(rgba64), false},
		{"png bilevel 1-bit", bilevelPNG(t, bilevel), false},
		{"png palette", encPNG(pal), false},
		{"jpeg", jpg.Bytes(), false},
		{"pbm", pnm("P4", 1, nil), false},
		{"pgm", pnm("P5", 255, func(x, y int) []byte { return []byte{gray.GrayAt(x, y).Y} }), true},
		{"ppm", pnm("P6", 255, func(x, y int) []byte { c := rgba.RGBAAt(x, y); return []byte{c.R, c.G, c.B} }), true},
		{"pgm 16-bit", pnm("P5", 65535, func(x, y int) []byte { return []byte{gray.GrayAt(x, y).Y, byte(x)} }), false},
	}
	regions := []image.Rectangle{
		image.Rect(0, 0, w, h),
		image.Rect(37, 11, 250, 97),
		image.Rect(290, 150, 400, 260), // runs off the page
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _, err := image.Decode(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("go decode: %v", err)
			}
			if _, err := e.Recognize(context.Background(), ocr.Image{Data: tt.data, Width: w, Height: h, DPI: 300}); err != nil {
				t.Fatalf("recognize: %v", err)
			}
			for _, r := range regions {
				got, ok := e.ReadRegion(r)
				if ok != tt.want {
					t.Fatalf("ReadRegion(%v) ok = %v, want %v", r, ok, tt.want)
				}
				if !ok {
					continue
				}
				if clip := r.Intersect(want.Bounds()); got.Bounds() != clip {
					t.Fatalf("ReadRegion(%v) bounds %v, want %v", r, got.Bounds(), clip)
				}
				for y := got.Bounds().Min.Y; y < got.Bounds().Max.Y; y++ {
					for x := got.Bounds().Min.X; x < got.Bounds().Max.X; x++ {
						if g, w := rgb8(got, x, y), rgb8(want, x, y); g != w {
							t.Fatalf("pixel (%d,%d) of %T is %v, Go's %T decode gives %v", x, y, got, g, want, w)
						}
					}
				}
			}
		})
	}
	t.Run("after a failed page", func(t *testing.T) {
		if _, err := e.Recognize(context.Background(), ocr.Image{Data: []byte("not an image")}); err == nil {
			t.Fatal("recognize took a text file")
		}
		if _, ok := e.ReadRegion(image.Rect(0, 0, 10, 10)); ok {
			t.Fatal("ReadRegion gave pixels of an earlier page after a failed one")
		}
	})
}

// rgb8 is the 8-bit colour of (x, y) as the handwriting reader takes it
// (pipeline/handwriting inkLevels): stored samples for the 8-bit kinds, the
// high byte of each channel for the others.
func rgb8(m image.Image, x, y int) [3]uint8 {
	switch m := m.(type) {
	case *image.Gray:
		v := m.GrayAt(x, y).Y
		return [3]uint8{v, v, v}
	case *image.RGBA:
		c := m.RGBAAt(x, y)
		return [3]uint8{c.R, c.G, c.B}
	case *image.NRGBA:
		c := m.NRGBAAt(x, y)
		return [3]uint8{c.R, c.G, c.B}
	}
	r, g, b, _ := m.At(x, y).RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

// bilevelPNG writes a 1-bit greyscale PNG (black where ink is true), which
// Go's encoder never writes but scanners do.
func bilevelPNG(t *testing.T, ink [][]bool) []byte {
	t.Helper()
	h, w := len(ink), len(ink[0])
	var raw bytes.Buffer
	zw := zlib.NewWriter(&raw)
	for y := range h {
		row := make([]byte, 1+(w+7)/8) // filter type 0, then the bits
		for x := range w {
			if !ink[y][x] {
				row[1+x/8] |= 0x80 >> (x % 8)
			}
		}
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, body []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		start := len(out)
		out = append(append(out, kind...), body...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk("IHDR", append(ihdr, 1, 0, 0, 0, 0))
	chunk("IDAT", raw.Bytes())
	chunk("IEND", nil)
	return out
}
