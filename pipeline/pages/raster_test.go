package pages

import (
	"bytes"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSplitRaster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    []byte
		format  string
		w, h    int
		wantDPI float64
	}{
		{"jpeg with JFIF density", jpegBytes(t, 120, 170, 300), "jpeg", 120, 170, 300},
		{"jpeg without density", jpegBytes(t, 64, 48, 0), "jpeg", 64, 48, 0},
		{"png with pHYs", pngBytes(t, 90, 40, 200), "png", 90, 40, 200},
		{"png without pHYs", pngBytes(t, 33, 21, 0), "png", 33, 21, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A misleading extension: the format comes from the bytes.
			path := writeFile(t, "scan.pdf", tt.data)
			n, err := Count(t.Context(), path, Options{})
			if err != nil || n != 1 {
				t.Fatalf("Count = %d, %v; want 1", n, err)
			}
			pages, err := collect(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 {
				t.Fatalf("got %d pages, want 1", len(pages))
			}
			p := pages[0]
			if p.N != 1 || p.TextLayer != nil {
				t.Errorf("page N=%d TextLayer=%v", p.N, p.TextLayer)
			}
			img := p.Image
			if img.Format != tt.format || img.Width != tt.w || img.Height != tt.h || img.DPI != tt.wantDPI {
				t.Errorf("image %s %d×%d %v dpi, want %s %d×%d %v dpi", img.Format, img.Width, img.Height, img.DPI, tt.format, tt.w, tt.h, tt.wantDPI)
			}
			if !bytes.Equal(img.Data, tt.data) {
				t.Error("image bytes differ from the file: passed through with changes")
			}
		})
	}
}

// TestHugePNGRefusedBeforeDecoding checks that a real 20000×20000 PNG (and
// a 30000×30000 one) is refused from its header: the whole Split
// allocates a tiny fraction of what decoding would.
func TestHugePNGRefusedBeforeDecoding(t *testing.T) {
	for _, size := range []int{20000, 30000} {
		path := filepath.Join(t.TempDir(), "huge.png")
		writeBigPNG(t, path, size, size)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := collect(t, path, Options{})
		runtime.ReadMemStats(&after)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Kind != TooLarge {
			t.Fatalf("%d²: err = %v, want TooLarge", size, err)
		}
		if !strings.Contains(ie.Message(), "huge.png") || !strings.Contains(ie.Message(), "quét lại") {
			t.Errorf("message %q does not name the file and the fix", ie.Message())
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%d²: Split allocated %d bytes to refuse the file", size, alloc)
		}
	}
}
