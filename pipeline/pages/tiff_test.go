package pages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"os"
	"testing"

	"golang.org/x/image/tiff"
)

func TestSplitTIFF(t *testing.T) {
	t.Parallel()
	gray := testGray(40, 30)
	rgb := make([]byte, 0, 25*20*3)
	src := testImage(25, 20)
	for i := 0; i < len(src.Pix); i += 4 {
		rgb = append(rgb, src.Pix[i], src.Pix[i+1], src.Pix[i+2])
	}
	// 20×10 bilevel, MinIsBlack: 1 bits are white; a black left half.
	bilevel := bytes.Repeat([]byte{0x00, 0x0f, 0xff}, 10)
	file := tiffBytes(t, []tiffPage{
		{w: 40, h: 30, bits: 8, spp: 1, photometric: 1, compression: 1, dpi: 300, pix: gray.Pix},
		{w: 25, h: 20, bits: 8, spp: 3, photometric: 2, compression: 8, dpi: 150, pix: rgb},
		{w: 20, h: 10, bits: 1, spp: 1, photometric: 1, compression: 1, dpi: 200, pix: bilevel},
	})
	path := writeFile(t, "batch.tif", file)
	if n, err := Count(t.Context(), path, Options{}); err != nil || n != 3 {
		t.Fatalf("Count = %d, %v; want 3", n, err)
	}
	pages, err := collect(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3", len(pages))
	}
	tests := []struct {
		name  string
		magic string
		w, h  int
		dpi   float64
		pix   []byte
	}{
		{"gray uncompressed", "P5", 40, 30, 300, gray.Pix},
		{"rgb deflate", "P6", 25, 20, 150, rgb},
		// P4: 1 is black, 2 bytes a row: 12 black pixels then white.
		{"bilevel", "P4", 20, 10, 200, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pages[i]
			if p.N != i+1 || p.Image.Format != "pnm" || p.Image.DPI != tt.dpi {
				t.Errorf("page %d: N=%d format=%s dpi=%v", i+1, p.N, p.Image.Format, p.Image.DPI)
			}
			magic, w, h, pix := pnmPixels(t, p.Image.Data)
			if magic != tt.magic || w != tt.w || h != tt.h || p.Image.Width != w || p.Image.Height != h {
				t.Fatalf("got %s %d×%d (image says %d×%d), want %s %d×%d", magic, w, h, p.Image.Width, p.Image.Height, tt.magic, tt.w, tt.h)
			}
			want := tt.pix
			if magic == "P4" {
				want = bytes.Repeat([]byte{0xff, 0xf0, 0x00}, 10)
			}
			if !bytes.Equal(pix, want) {
				t.Errorf("pixels differ")
			}
		})
	}
}

// TestSplitTIFFG4 reads the committed two-page CCITT Group 4 TIFF (the top
// of a real scan at 200 dpi, made with tiffcp -c g4).
func TestSplitTIFFG4(t *testing.T) {
	t.Parallel()
	pages, err := collect(t, "testdata/g4-2pages.tif", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ w, h int }{{1642, 560}, {1642, 400}}
	if len(pages) != len(want) {
		t.Fatalf("got %d pages, want %d", len(pages), len(want))
	}
	f, err := os.Open("testdata/g4-2pages.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := tiff.Decode(f) // x/image/tiff decodes page 1 only
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		magic, w, h, pix := pnmPixels(t, p.Image.Data)
		if magic != "P4" || w != want[i].w || h != want[i].h || p.Image.DPI != 200 {
			t.Errorf("page %d: %s %d×%d %v dpi, want P4 %d×%d 200 dpi", i+1, magic, w, h, p.Image.DPI, want[i].w, want[i].h)
		}
		black := 0
		for _, b := range pix {
			for ; b != 0; b &= b - 1 {
				black++
			}
		}
		// Printed text on white paper: a few percent black.
		if frac := float64(black) / float64(w*h); frac < 0.001 || frac > 0.3 {
			t.Errorf("page %d: %.3f of pixels black; photometric handled wrongly?", i+1, frac)
		}
		if i == 0 {
			// The file is MinIsBlack, where x/image/tiff shows CCITT
			// runs inverted relative to libtiff (see page): every pixel
			// must differ from its decode.
			if d := diffBilevel(first, pix, w); d != w*h {
				t.Errorf("page 1 agrees with x/image/tiff's decode in %d pixels", w*h-d)
			}
		}
	}
}

// diffBilevel counts pixels where m (dark < 128) and P4 rows pix disagree.
func diffBilevel(m image.Image, pix []byte, w int) int {
	b := m.Bounds()
	stride := (w + 7) / 8
	d := 0
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dark := grayAt(m, b.Min.X+x, b.Min.Y+y) < 128
			set := pix[y*stride+x/8]&(0x80>>(x%8)) != 0
			if dark != set {
				d++
			}
		}
	}
	return d
}

func TestSplitTIFFBad(t *testing.T) {
	t.Parallel()
	page := tiffPage{w: 8, h: 2, bits: 8, spp: 1, photometric: 1, compression: 1, dpi: 300, pix: make([]byte, 16)}
	good := tiffBytes(t, []tiffPage{page, page, page})
	setCompression := func(b []byte, c uint16) []byte {
		b = append([]byte{}, b...)
		// The first IFD's Compression entry holds the value inline.
		ifd := binary.LittleEndian.Uint32(b[4:])
		n := int(binary.LittleEndian.Uint16(b[ifd:]))
		for i := 0; i < n; i++ {
			e := int(ifd) + 2 + 12*i
			if binary.LittleEndian.Uint16(b[e:]) == 259 {
				binary.LittleEndian.PutUint16(b[e+8:], c)
			}
		}
		return b
	}
	loop := append([]byte{}, good...)
	// Point the last IFD's next offset back at the first IFD.
	loop = loop[:len(loop)-4]
	loop = binary.LittleEndian.AppendUint32(loop, binary.LittleEndian.Uint32(good[4:]))
	noIFD := []byte("II*\x00\x00\x00\x00\x00")
	tests := []struct {
		name string
		data []byte
		opts Options
		want Kind
		page int
	}{
		{"old-style JPEG compression", setCompression(good, 6), Options{}, Unsupported, 1},
		{"unknown compression", setCompression(good, 34712), Options{}, Unsupported, 1},
		{"IFD chain loops", loop, Options{}, Corrupt, 0},
		{"IFD outside the file", good[:len(good)-40], Options{}, Corrupt, 3},
		{"no IFD", noIFD, Options{}, NoPages, 0},
		{"more pages than allowed", good, Options{MaxPages: 2}, TooLarge, 0},
		{"page larger than allowed", good, Options{MaxPixels: 10}, TooLarge, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "lo-7.tif", tt.data)
			_, err := collect(t, path, tt.opts)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Kind != tt.want || ie.Page != tt.page {
				t.Fatalf("err = %v, want %v on page %d", err, tt.want, tt.page)
			}
		})
	}
}
