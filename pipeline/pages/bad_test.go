package pages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"sohoa/fixtures"
)

// TestSplitBadCorpus splits every file of fixtures.WriteBad and WriteOdd
// with the default limits: each refused file with its Kind (and page), in
// a bounded time and without the heap growing by what its header claims;
// each odd file read as pages.
func TestSplitBadCorpus(t *testing.T) {
	requirePoppler(t)
	dir := t.TempDir()
	bad, err := fixtures.WriteBad(dir)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := fixtures.WriteOdd(dir)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind Kind // 0: read as pages
		page int
	}
	table := map[string]want{
		"empty.pdf":               {Empty, 0},
		"truncated.pdf":           {Corrupt, 0},
		"encrypted.pdf":           {Encrypted, 0},
		"notes.pdf":               {NotDocument, 0},
		"trang-web.pdf":           {NotDocument, 0},
		"archive.tiff":            {NotDocument, 0},
		"zero-pages.pdf":          {NoPages, 0},
		"bomb-nested.pdf":         {Corrupt, 1},
		"bomb-loop.pdf":           {Corrupt, 1},
		"bomb-flate.pdf":          {TooLarge, 1},
		"old-jpeg.tif":            {Unsupported, 1},
		"unknown-compression.tif": {Unsupported, 1},
		"bigtiff.tif":             {Unsupported, 0},
		"scan.gif":                {Unsupported, 0},
		"tiny-1x1.png":            {TooSmall, 1},
		"huge.png":                {TooLarge, 0},
		"huge-30000.png":          {TooLarge, 0},
		"huge-30000.tif":          {TooLarge, 1},
		"scan-png.pdf":            {},
		"broken-xref.pdf":         {},
		"owner-password.pdf":      {},
		"jbig2.pdf":               {},
		"exif-6.jpg":              {},
		"exif-8.jpg":              {},
		"gray16.png":              {},
		"cmyk.jpg":                {},
	}
	for _, c := range append(bad, odd...) {
		w, ok := table[c.File]
		if !ok {
			t.Errorf("%s (%s) has no row", c.File, c.Kind)
			continue
		}
		t.Run(c.File, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			pages, err := collect(t, filepath.Join(dir, c.File), Options{})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			// A refusal costs next to nothing; a bomb must not cost
			// what it claims (gigabytes).
			if grown := after.TotalAlloc - before.TotalAlloc; w.kind != 0 && grown > 160<<20 {
				t.Errorf("allocated %d MiB to refuse it", grown>>20)
			}
			if took > 20*time.Second {
				t.Errorf("took %v", took)
			}
			var ie *InputError
			if w.kind == 0 {
				if err != nil || len(pages) != 1 {
					t.Fatalf("%d pages, err %v; want it read as one page", len(pages), err)
				}
				return
			}
			if !errors.As(err, &ie) || ie.Kind != w.kind || ie.Page != w.page {
				t.Fatalf("err = %v, want %v on page %d", err, w.kind, w.page)
			}
		})
	}
}

// TestEXIFOrientation splits a JPEG stored in each of the eight EXIF
// orientations and finds the dark block back at the top left, upright.
func TestEXIFOrientation(t *testing.T) {
	t.Parallel()
	const w, h = 64, 32
	upright := image.NewGray(image.Rect(0, 0, w, h))
	for i := range upright.Pix {
		upright.Pix[i] = 0xff
	}
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			upright.Pix[y*upright.Stride+x] = 0
		}
	}
	// stored returns how a camera in orientation o stores upright: the
	// inverse of the turn the EXIF tag asks for.
	stored := func(o int) *image.Gray {
		sw, sh := w, h
		if o >= 5 {
			sw, sh = h, w
		}
		s := image.NewGray(image.Rect(0, 0, sw, sh))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var sx, sy int
				switch o {
				case 1:
					sx, sy = x, y
				case 2:
					sx, sy = sw-1-x, y
				case 3:
					sx, sy = sw-1-x, sh-1-y
				case 4:
					sx, sy = x, sh-1-y
				case 5:
					sx, sy = y, x
				case 6:
					sx, sy = y, sh-1-x
				case 7:
					sx, sy = sw-1-y, sh-1-x
				case 8:
					sx, sy = sw-1-y, x
				}
				s.Pix[sy*s.Stride+sx] = upright.Pix[y*upright.Stride+x]
			}
		}
		return s
	}
	for o := 1; o <= 8; o++ {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, stored(o), &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		p := buf.Bytes()
		tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, 0, 0, 0, 0}
		seg := append([]byte("Exif\x00\x00"), tiff...)
		app1 := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(2+len(seg)))
		data := append(append(append([]byte{}, p[:2]...), append(app1, seg...)...), p[2:]...)
		if got := jpegOrientation(data); got != o {
			t.Fatalf("orientation %d read as %d", o, got)
		}
		path := filepath.Join(t.TempDir(), "anh.jpg")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		pages, err := collect(t, path, Options{})
		if err != nil || len(pages) != 1 {
			t.Fatalf("orientation %d: %d pages, %v", o, len(pages), err)
		}
		img := pages[0].Image
		if img.Width != w || img.Height != h {
			t.Errorf("orientation %d: page is %d×%d, want %d×%d upright", o, img.Width, img.Height, w, h)
			continue
		}
		var pix []byte
		if o == 1 {
			if img.Format != "jpeg" || !bytes.Equal(img.Data, data) {
				t.Errorf("orientation 1: %s, want the JPEG passed through unchanged", img.Format)
			}
			m, err := jpeg.Decode(bytes.NewReader(img.Data))
			if err != nil {
				t.Fatal(err)
			}
			pix = m.(*image.Gray).Pix
		} else {
			var magic string
			magic, _, _, pix = pnmPixels(t, img.Data)
			if magic != "P5" {
				t.Errorf("orientation %d: %s, want grey PNM", o, magic)
			}
		}
		at := func(x, y int) byte { return pix[y*w+x] }
		if at(4, 4) > 64 || at(w-4, 4) < 192 || at(4, h-4) < 192 || at(w-4, h-4) < 192 {
			t.Errorf("orientation %d: the dark block is not at the top left: corners %d %d %d %d", o, at(4, 4), at(w-4, 4), at(4, h-4), at(w-4, h-4))
		}
	}
}
