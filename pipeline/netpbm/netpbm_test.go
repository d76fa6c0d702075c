package netpbm

import (
	"bytes"
	"image"
	"testing"
)

func TestRegisteredWithImageDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		w, h int
		dark image.Point // a pixel that must be black
	}{
		{"pgm", "P5 2 1 255\n\x00\xff", 2, 1, image.Pt(0, 0)},
		{"pbm", "P4 9 1\n\x80\x00", 9, 1, image.Pt(0, 0)},
		{"ppm", "P6 1 2 255\n\xff\xff\xff\x00\x00\x00", 1, 2, image.Pt(0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img, format, err := image.Decode(bytes.NewReader([]byte(tt.data)))
			if err != nil || format != "pnm" {
				t.Fatalf("image.Decode: format %q, err %v", format, err)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("size %v, want %dx%d", b, tt.w, tt.h)
			}
			if r, _, _, _ := img.At(tt.dark.X, tt.dark.Y).RGBA(); r != 0 {
				t.Errorf("pixel %v is %d, want black", tt.dark, r)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader([]byte(tt.data)))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Errorf("DecodeConfig = %+v, %v", cfg, err)
			}
		})
	}
}

func TestTruncatedRefused(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"P5 4 4 255\n\x00", "P6 1 1", "P5 0 3 255\n", "P7 1 1 255\n\x00"} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) succeeded", bad)
		}
	}
}
