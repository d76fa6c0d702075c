package archive

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"sohoa/ocr"
	"sohoa/pipeline/netpbm"
)

// TestJPEGEmbeddedAsIs checks the scanner's JPEG bytes are the bytes in the
// archive: pdfimages -all writes the DCT stream out untouched.
func TestJPEGEmbeddedAsIs(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	real := realPage(t).Image.Data
	tests := []struct {
		name string
		data []byte
	}{
		{"real scan, RGB", real},
		{"grey", encodeJPEG(t, paper(400, 300, nil))},
		{"colour", encodeJPEG(t, colourful(320, 240))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeArchive(t, testMeta,
				Page{Image: ocr.Image{Data: tt.data, Format: "jpeg"}},
				Page{Image: ocr.Image{Data: tt.data, Format: "jpeg"}})
			files := extractImages(t, path, "-all")
			if len(files) != 2 {
				t.Fatalf("pdfimages found %d images, want 2: %v", len(files), files)
			}
			for _, f := range files {
				if filepath.Ext(f) != ".jpg" {
					t.Errorf("%s: not a JPEG stream", f)
				}
				got, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != sha256.Sum256(tt.data) {
					t.Errorf("%s: %d bytes differ from the %d input bytes", f, len(got), len(tt.data))
				}
			}
		})
	}
}

// TestJPEG2000EmbeddedAsIs checks a JP2 file is written as it is with
// JPXDecode. No JPEG 2000 encoder is at hand, so the codestream is a stub:
// the writer reads only the header boxes, and pdfimages copies the bytes.
func TestJPEG2000EmbeddedAsIs(t *testing.T) {
	needTool(t, "pdfimages", "pdfinfo")
	t.Parallel()
	data := jp2File(1000, 1400, 3, 200)
	path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: data, Format: "jp2"}})
	files := extractImages(t, path, "-all")
	if len(files) != 1 || filepath.Ext(files[0]) != ".jp2" {
		t.Fatalf("pdfimages -all gave %v, want one .jp2", files)
	}
	got, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("the JPEG 2000 bytes changed")
	}
	if w, h := pageSizes(t, path)[0][0], pageSizes(t, path)[0][1]; math.Abs(w-360) > 0.01 || math.Abs(h-504) > 0.01 {
		t.Errorf("page is %.2f × %.2f pt, want 360 × 504 (1000 × 1400 px at 200 dpi)", w, h)
	}
}

// TestPageSize checks each page is the image at its true size: pixels ÷
// DPI × 72, DPI from the caller, else the file, else 300.
func TestPageSize(t *testing.T) {
	needTool(t, "pdfinfo")
	t.Parallel()
	gray := paper(600, 800, nil)
	tests := []struct {
		name         string
		img          ocr.Image
		wantW, wantH float64
	}{
		{"JFIF says 300 dpi", realPage(t).Image, 2464 * 72 / 300.0, 3508 * 72 / 300.0},
		{"JPEG says nothing: 300", ocr.Image{Data: encodeJPEG(t, gray)}, 144, 192},
		{"caller's DPI wins", ocr.Image{Data: realPage(t).Image.Data, DPI: 200}, 2464 * 72 / 200.0, 3508 * 72 / 200.0},
		{"PNG pHYs 150 dpi", ocr.Image{Data: withPHYs(encodePNG(t, gray), 5906, 5906)}, 288, 384},
		{"PNG fax resolution 204×98", ocr.Image{Data: withPHYs(encodePNG(t, gray), 8031, 3858)}, 600 * 72 / 204.0, 800 * 72 / 98.0},
		{"PNG says nothing: 300", ocr.Image{Data: encodePNG(t, gray)}, 144, 192},
		{"PNM: 300", ocr.Image{Data: pgm(gray)}, 144, 192},
		{"TIFF says 72 dpi", ocr.Image{Data: encodeTIFF(t, gray)}, 600, 800},
		{"TIFF 400 dpi", ocr.Image{Data: tiffWithDPI(t, gray, 400)}, 108, 144},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeArchive(t, testMeta, Page{Image: tt.img})
			got := pageSizes(t, path)[0]
			if math.Abs(got[0]-tt.wantW) > 0.01 || math.Abs(got[1]-tt.wantH) > 0.01 {
				t.Errorf("page is %.2f × %.2f pt, want %.2f × %.2f", got[0], got[1], tt.wantW, tt.wantH)
			}
		})
	}
}

// TestLosslessImages checks decoded formats keep every pixel (alpha
// flattened onto white) and use the smallest fitting layout.
func TestLosslessImages(t *testing.T) {
	needTool(t, "pdfimages")
	t.Parallel()
	bilevel := image.NewGray(image.Rect(0, 0, 97, 61)) // odd width: bit packing
	for i := range bilevel.Pix {
		if (i*7)%11 < 5 {
			bilevel.Pix[i] = 0xff
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 13)
	}
	gray16 := image.NewGray16(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(gray16.Pix); i += 2 {
		binary.BigEndian.PutUint16(gray16.Pix[i:], uint16(i*997))
	}
	alpha := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i], alpha.Pix[i+1], alpha.Pix[i+2], alpha.Pix[i+3] = uint8(i), uint8(i/3), 200, uint8(i*5)
	}
	rgbAsGray := image.NewRGBA(gray.Bounds())
	for i, v := range gray.Pix {
		copy(rgbAsGray.Pix[4*i:], []uint8{v, v, v, 0xff})
	}
	twoTone := image.NewPaletted(bilevel.Bounds(), color.Palette{color.White, color.Black})
	for i, v := range bilevel.Pix {
		twoTone.Pix[i] = 1 - v/0xff
	}
	seal := image.NewPaletted(image.Rect(0, 0, 50, 50), color.Palette{color.White, color.RGBA{200, 20, 30, 255}, color.Black})
	for i := range seal.Pix {
		seal.Pix[i] = uint8(i % 3)
	}
	tests := []struct {
		name string
		data []byte
		src  image.Image
		// color and bpc as pdfimages -list names them.
		color string
		bpc   int
	}{
		// A PNG's image data is kept as the file has it (TestPNGPassthrough).
		{"PNG bilevel in 8-bit grey", encodePNG(t, bilevel), bilevel, "gray", 8},
		{"PNG two-colour palette", encodePNG(t, twoTone), twoTone, "index", 1},
		{"PNG grey", encodePNG(t, gray), gray, "gray", 8},
		{"PNG grey stored as RGB", encodePNG(t, rgbAsGray), gray, "rgb", 8},
		{"PNG 16-bit grey", encodePNG(t, gray16), gray16, "gray", 16},
		{"PNG colour", encodePNG(t, colourful(80, 60)), colourful(80, 60), "rgb", 8},
		{"PNG alpha onto white", encodePNG(t, alpha), alpha, "rgb", 8},
		{"PNG colour palette", encodePNG(t, seal), seal, "index", 2},
		// Decoded images take the smallest layout that keeps every value.
		{"PNG grey with alpha", encodePNG(t, clearCorner(gray)), clearCorner(gray), "gray", 8},
		{"PNG bilevel with alpha", encodePNG(t, clearCorner(bilevel)), clearCorner(bilevel), "gray", 1},
		{"PNG two-colour palette with alpha", encodePNG(t, withAlpha(twoTone)), twoTone, "gray", 1},
		{"PNG colour palette with alpha", encodePNG(t, withAlpha(seal)), seal, "rgb", 8},
		{"PGM bilevel", pgm(bilevel), bilevel, "gray", 1},
		{"PPM grey", ppm(rgbAsGray, false), gray, "gray", 8},
		{"PBM raw", pbm(bilevel, false), bilevel, "gray", 1},
		{"PBM plain", pbm(bilevel, true), bilevel, "gray", 1},
		{"PGM raw", pgm(gray), gray, "gray", 8},
		{"PPM plain", ppm(colourful(20, 10), true), colourful(20, 10), "rgb", 8},
		{"PPM raw", ppm(colourful(80, 60), false), colourful(80, 60), "rgb", 8},
		{"TIFF bilevel", encodeTIFF(t, bilevel), bilevel, "gray", 1},
		{"TIFF colour", encodeTIFF(t, colourful(80, 60)), colourful(80, 60), "rgb", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeArchive(t, testMeta, Page{Image: ocr.Image{Data: tt.data, DPI: 72}})
			list := run(t, "pdfimages", "-list", path)
			fields := strings.Fields(strings.Split(strings.TrimSpace(list), "\n")[2])
			// page num type width height color comp bpc enc ...
			if fields[5] != tt.color || fields[7] != strconv.Itoa(tt.bpc) || fields[8] != "image" {
				t.Errorf("pdfimages -list: %s; want %s, %d bpc, Flate", strings.Join(fields, " "), tt.color, tt.bpc)
			}
			files := extractImages(t, path, "-png")
			f, err := os.Open(files[0])
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			// pdfimages writes 8-bit PNGs, even of 16-bit samples
			// (TestSixteenBitSamples checks those in full); flattening
			// alpha may round either way.
			tol := 0
			if strings.Contains(tt.name, "alpha") {
				tol = 1
			}
			if err := samePixels(got, tt.src, tol); err != nil {
				t.Error(err)
			}
		})
	}
}

// clearCorner returns img with an alpha channel and its top left pixel
// transparent, white once flattened.
func clearCorner(img image.Image) *image.NRGBA {
	m := image.NewNRGBA(img.Bounds())
	draw.Draw(m, m.Bounds(), img, img.Bounds().Min, draw.Src)
	m.Pix[3] = 0
	return m
}

// withAlpha returns a copy of a paletted image whose palette has an
// opaque alpha written out, which PNG encodes as a tRNS chunk.
func withAlpha(img *image.Paletted) *image.Paletted {
	m := *img
	m.Palette = append(slices.Clone(img.Palette), color.NRGBA{0, 0, 0, 0x80})
	return &m
}

// samePixels compares two images flattened onto white, to 8 bits, allowing
// tol for rounding.
func samePixels(got, want image.Image, tol int) error {
	if got.Bounds().Size() != want.Bounds().Size() {
		return fmt.Errorf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	gb, wb := got.Bounds(), want.Bounds()
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			g := flatten8(got.At(gb.Min.X+x, gb.Min.Y+y))
			w := flatten8(want.At(wb.Min.X+x, wb.Min.Y+y))
			d := func(a, b uint8) bool { return int(a)-int(b) > tol || int(b)-int(a) > tol }
			if d(g.R, w.R) || d(g.G, w.G) || d(g.B, w.B) {
				return fmt.Errorf("pixel (%d,%d) is %v, want %v", x, y, g, w)
			}
		}
	}
	return nil
}

// flatten8 puts c onto white paper and keeps 8 bits per channel.
func flatten8(c color.Color) color.RGBA {
	r, g, b := flatten16(c)
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// paethPredictor is the PNG Paeth predictor as the specification writes
// it.
func paethPredictor(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestSixteenBitSamples decodes the image stream (zlib, then PNG
// predictors) and checks 16-bit samples come back whole.
func TestSixteenBitSamples(t *testing.T) {
	gray16 := image.NewGray16(image.Rect(0, 0, 33, 21))
	rgb64 := image.NewNRGBA64(image.Rect(0, 0, 17, 9))
	for i := 0; i < len(gray16.Pix); i += 2 {
		binary.BigEndian.PutUint16(gray16.Pix[i:], uint16(i*997+i*i))
	}
	for i := 0; i < len(rgb64.Pix); i += 8 {
		for c := 0; c < 6; c += 2 {
			binary.BigEndian.PutUint16(rgb64.Pix[i+c:], uint16(i*c*31+7))
		}
		binary.BigEndian.PutUint16(rgb64.Pix[i+6:], 0xffff)
	}
	// rgba64 is premultiplied: a half-transparent pixel is flattened onto
	// white.
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 3, 1))
	copy(rgba64.Pix, []byte{0x12, 0x34, 0x56, 0x78, 0x7f, 0xff, 0xff, 0xff, 0, 1, 0, 2, 0, 3, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	pnm := func(magic string, w, h int, samples []byte) *raster {
		r, ok, err := pnmRaster(append(fmt.Appendf(nil, "%s\n%d %d\n65535\n", magic, w, h), samples...))
		if !ok || err != nil {
			t.Fatalf("%s: not read as it is: %v", magic, err)
		}
		return r
	}
	for _, tt := range []struct {
		name string
		r    *raster
		want []byte // samples, big-endian
	}{
		{"Gray16", newRaster(gray16), gray16.Pix},
		{"NRGBA64", newRaster(rgb64), dropAlpha(rgb64.Pix, 8, 6)},
		{"RGBA64", newRaster(rgba64), []byte{0x12, 0x34, 0x56, 0x78, 0x7f, 0xff, 0x80, 0x00, 0x80, 0x01, 0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"PGM 16-bit", pnm("P5", 33, 21, gray16.Pix), gray16.Pix},
		{"PPM 16-bit", pnm("P6", 17, 9, dropAlpha(rgb64.Pix, 8, 6)), dropAlpha(rgb64.Pix, 8, 6)},
	} {
		var b bytes.Buffer
		if err := tt.r.writeSamples(&b); err != nil {
			t.Fatal(err)
		}
		zr, err := zlib.NewReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		filtered, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		got := unfilter(t, filtered, tt.r.rowBytes(), tt.r.bytesPerPixel())
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: samples differ:\n got %X\nwant %X", tt.name, got[:min(len(got), 24)], tt.want[:min(len(tt.want), 24)])
		}
	}
}

func dropAlpha(pix []byte, stride, keep int) []byte {
	var out []byte
	for i := 0; i < len(pix); i += stride {
		out = append(out, pix[i:i+keep]...)
	}
	return out
}

// unfilter undoes PNG row filters, as a PDF reader does for Predictor 15.
func unfilter(t *testing.T, data []byte, rowBytes, bpp int) []byte {
	t.Helper()
	var out []byte
	prev := make([]byte, rowBytes)
	for len(data) > 0 {
		kind, row := data[0], slices.Clone(data[1:rowBytes+1])
		data = data[rowBytes+1:]
		for i := range row {
			var a, c byte
			if i >= bpp {
				a, c = row[i-bpp], prev[i-bpp]
			}
			switch kind {
			case 1:
				row[i] += a
			case 2:
				row[i] += prev[i]
			case 3:
				row[i] += byte((int(a) + int(prev[i])) / 2)
			case 4:
				row[i] += paethPredictor(a, prev[i], c)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out
}

func TestUnsupportedImages(t *testing.T) {
	tests := []struct {
		name string
		img  ocr.Image
		is   error
	}{
		{"GIF", ocr.Image{Data: []byte("GIF89a...."), Format: "gif"}, ErrUnsupportedImage},
		{"empty", ocr.Image{}, ErrUnsupportedImage},
		{"truncated JPEG", ocr.Image{Data: []byte{0xff, 0xd8, 0xff, 0xe0, 0x00}}, nil},
		{"broken PNG", ocr.Image{Data: []byte("\x89PNG\r\n\x1a\nnot really")}, nil},
		{"12-bit JPEG", ocr.Image{Data: fakeJPEG(0xc1, 12, 1, false)}, nil},
		{"arithmetic JPEG", ocr.Image{Data: fakeJPEG(0xc9, 8, 3, false)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := preparePage(tt.img)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
		})
	}
}

func TestJPEGDict(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"grey", fakeJPEG(0xc0, 8, 1, false), "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"},
		{"progressive RGB", fakeJPEG(0xc2, 8, 3, false), "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode"},
		{"CMYK", fakeJPEG(0xc0, 8, 4, false), "/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /DCTDecode"},
		{"Adobe CMYK is inverted", fakeJPEG(0xc0, 8, 4, true), "/ColorSpace /DeviceCMYK /Decode [1 0 1 0 1 0 1 0] /BitsPerComponent 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := preparePage(ocr.Image{Data: tt.data})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.dict, tt.want) {
				t.Errorf("dict %q lacks %q", p.dict, tt.want)
			}
			if p.width != 640 || p.height != 480 || len(p.raw) != 1 || !bytes.Equal(p.raw[0], tt.data) {
				t.Errorf("got %d×%d, raw %v", p.width, p.height, p.raw != nil)
			}
		})
	}
}

func TestJP2Header(t *testing.T) {
	h, err := parseJP2(jp2File(1000, 1400, 3, 200))
	if err != nil {
		t.Fatal(err)
	}
	if h.width != 1000 || h.height != 1400 || h.components != 3 || !h.hasColour || h.dpiX != 200 || h.dpiY != 200 {
		t.Errorf("got %+v", h)
	}
	// A bare codestream: SOC, SIZ with a 10-pixel offset, one component.
	cs := []byte{0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0}
	for _, v := range []uint32{110, 60, 10, 0, 110, 60, 0, 0} {
		cs = binary.BigEndian.AppendUint32(cs, v)
	}
	cs = append(cs, 0, 1, 7, 1, 1)
	p, err := preparePage(ocr.Image{Data: cs})
	if err != nil {
		t.Fatal(err)
	}
	if p.width != 100 || p.height != 60 || !strings.Contains(p.dict, "/ColorSpace /DeviceGray /Filter /JPXDecode") {
		t.Errorf("got %d×%d %q", p.width, p.height, p.dict)
	}
}

func TestResolution(t *testing.T) {
	gray := paper(10, 10, nil)
	f, err := readPNG(withPHYs(encodePNG(t, gray), 11811, 11811))
	if err != nil || f.dpiX != 300 || f.dpiY != 300 {
		t.Errorf("PNG 11811 dots/m: %g × %g dpi (%v), want 300", f.dpiX, f.dpiY, err)
	}
	x, y, ok := tiffResolution(tiffWithDPI(t, gray, 600))
	if !ok || x != 600 || y != 600 {
		t.Errorf("TIFF: %g × %g dpi %v, want 600", x, y, ok)
	}
	if _, _, ok := tiffResolution([]byte("II*\x00\xff\xff\xff\xff")); ok {
		t.Error("a bad IFD offset gave a resolution")
	}
	for _, d := range []struct {
		unit   byte
		x, y   uint16
		dx, dy float64
	}{{1, 300, 300, 300, 300}, {2, 100, 100, 254, 254}, {0, 1, 1, 0, 0}} {
		if gx, gy := density(d.unit, d.x, d.y); gx != d.dx || gy != d.dy {
			t.Errorf("density(%d, %d, %d) = %g, %g", d.unit, d.x, d.y, gx, gy)
		}
	}
}

func TestDecodePNM(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []uint8 // grey or RGB samples
	}{
		{"plain PBM, 1 is black", "P1\n# comment\n3 2\n101\n010\n", []uint8{0, 255, 0, 255, 0, 255}},
		{"plain PBM without separators", "P1 3 1 011", []uint8{255, 0, 0}},
		{"raw PBM", "P4 3 2\n\xa0\x40", []uint8{0, 255, 0, 255, 0, 255}},
		{"plain PGM, maxval 15", "P2 2 1 15 0 15", []uint8{0, 255}},
		{"raw PGM", "P5 2 1 255\n\x10\xf0", []uint8{0x10, 0xf0}},
		{"plain PPM", "P3 1 1 255 1 2 3", []uint8{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := netpbm.Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []uint8
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if _, ok := img.(*image.Gray); ok {
						got = append(got, uint8(r>>8))
					} else {
						got = append(got, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
					}
				}
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"P5 2 2 255\n\x00", "P2 0 1 255", "P6 1 1 70000\n", "P1 2 1 0 2", "P3 1 1"} {
		if _, err := netpbm.Decode([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	p16, err := netpbm.Decode([]byte("P5 1 1 65535\n\x12\x34"))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := p16.(*image.Gray16); !ok || g.Gray16At(0, 0).Y != 0x1234 {
		t.Errorf("16-bit PGM gave %T %v", p16, p16.At(0, 0))
	}
}

// extractImages runs pdfimages with a format flag and returns the files.
func extractImages(t *testing.T, path, flag string) []string {
	t.Helper()
	dir := t.TempDir()
	run(t, "pdfimages", flag, path, filepath.Join(dir, "img"))
	files, err := filepath.Glob(filepath.Join(dir, "img-*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var pageSizeLine = regexp.MustCompile(`(?m)^Page +\d+ size: +([\d.]+) x ([\d.]+) pts`)

// pageSizes returns each page's size in points as pdfinfo reports it.
func pageSizes(t testing.TB, path string) [][2]float64 {
	t.Helper()
	out := run(t, "pdfinfo", "-f", "1", "-l", "100000", path)
	var sizes [][2]float64
	for _, m := range pageSizeLine.FindAllStringSubmatch(out, -1) {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		sizes = append(sizes, [2]float64{w, h})
	}
	if len(sizes) == 0 {
		t.Fatalf("pdfinfo gave no page size:\n%s", out)
	}
	return sizes
}

// colourful is an RGB test card.
func colourful(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 3), 0xff})
		}
	}
	return img
}

// withPHYs inserts a pHYs chunk (dots per metre) after a PNG's IHDR.
func withPHYs(data []byte, x, y uint32) []byte {
	chunk := []byte("pHYs")
	chunk = binary.BigEndian.AppendUint32(chunk, x)
	chunk = binary.BigEndian.AppendUint32(chunk, y)
	chunk = append(chunk, 1)
	var out []byte
	out = append(out, data[:33]...) // signature and IHDR
	out = binary.BigEndian.AppendUint32(out, 9)
	out = append(out, chunk...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
	return append(out, data[33:]...)
}

func encodeTIFF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tiffWithDPI encodes img and rewrites the resolution Go's encoder writes
// (72 dpi) to dpi.
func tiffWithDPI(t testing.TB, img image.Image, dpi uint32) []byte {
	t.Helper()
	data := encodeTIFF(t, img)
	order := binary.LittleEndian
	ifd := int(order.Uint32(data[4:]))
	n := int(order.Uint16(data[ifd:]))
	for k := 0; k < n; k++ {
		e := data[ifd+2+12*k:]
		if tag := order.Uint16(e); tag == 282 || tag == 283 {
			off := order.Uint32(e[8:])
			order.PutUint32(data[off:], dpi)
			order.PutUint32(data[off+4:], 1)
		}
	}
	return data
}

func pgm(img *image.Gray) []byte {
	b := img.Bounds()
	out := fmt.Appendf(nil, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	return append(out, img.Pix...)
}

func pbm(img *image.Gray, plain bool) []byte {
	b := img.Bounds()
	if plain {
		out := fmt.Appendf(nil, "P1\n%d %d\n", b.Dx(), b.Dy())
		for i, v := range img.Pix {
			out = append(out, "10"[v/0xff])
			if i%b.Dx() == b.Dx()-1 {
				out = append(out, '\n')
			}
		}
		return out
	}
	out := fmt.Appendf(nil, "P4\n%d %d\n", b.Dx(), b.Dy())
	row := make([]byte, (b.Dx()+7)/8)
	for y := 0; y < b.Dy(); y++ {
		clear(row)
		for x := 0; x < b.Dx(); x++ {
			if img.Pix[y*img.Stride+x] == 0 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		out = append(out, row...)
	}
	return out
}

func ppm(img *image.RGBA, plain bool) []byte {
	b := img.Bounds()
	magic := "P6"
	if plain {
		magic = "P3"
	}
	out := fmt.Appendf(nil, "%s\n%d %d\n255\n", magic, b.Dx(), b.Dy())
	for i := 0; i < len(img.Pix); i += 4 {
		if plain {
			out = fmt.Appendf(out, "%d %d %d\n", img.Pix[i], img.Pix[i+1], img.Pix[i+2])
		} else {
			out = append(out, img.Pix[i:i+3]...)
		}
	}
	return out
}

// fakeJPEG makes the markers of a 640 × 480 JPEG up to its frame header:
// enough for the writer, which never decodes JPEG.
func fakeJPEG(sof byte, precision byte, components int, adobe bool) []byte {
	out := []byte{0xff, 0xd8}
	if adobe {
		out = append(out, 0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2)
	}
	seg := []byte{precision, 480 >> 8, 480 & 0xff, 640 >> 8, 640 & 0xff, byte(components)}
	for c := range components {
		seg = append(seg, byte(c+1), 0x11, 0)
	}
	out = append(out, 0xff, sof, 0, byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, 0xff, 0xd9)
}

// jp2File makes a JP2 file's boxes around a stub codestream.
func jp2File(w, h uint32, components uint16, dpi float64) []byte {
	box := func(kind string, body []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		return append(append(out, kind...), body...)
	}
	ihdr := binary.BigEndian.AppendUint32(nil, h)
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint16(ihdr, components)
	ihdr = append(ihdr, 7, 7, 0, 0)
	colr := []byte{1, 0, 0, 0, 0, 0, 16}    // enumerated: sRGB
	ppm := uint16(math.Round(dpi / 0.0254)) // dots per metre
	resc := binary.BigEndian.AppendUint16(nil, ppm)
	resc = binary.BigEndian.AppendUint16(resc, 1)
	resc = binary.BigEndian.AppendUint16(resc, ppm)
	resc = binary.BigEndian.AppendUint16(resc, 1)
	resc = append(resc, 0, 0) // times 10^0
	var out []byte
	out = append(out, jp2Signature...)
	out = append(out, box("ftyp", []byte("jp2 \x00\x00\x00\x00jp2 "))...)
	jp2h := append(box("ihdr", ihdr), box("colr", colr)...)
	jp2h = append(jp2h, box("res ", box("resc", resc))...)
	out = append(out, box("jp2h", jp2h)...)
	return append(out, box("jp2c", []byte{0xff, 0x4f, 0xff, 0x51, 0, 0, 0xff, 0xd9})...)
}
