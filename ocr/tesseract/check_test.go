package tesseract

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"testing"

	"sohoa/ocr"
)

func TestCheckImage(t *testing.T) {
	t.Parallel()
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"png", pngBuf.Bytes(), true},
		{"pgm", append([]byte("P5\n4 3\n255\n"), make([]byte, 12)...), true},
		{"pgm with comment", append([]byte("P5\n# scanner\n4 3\n255\n"), make([]byte, 12)...), true},
		{"pbm", append([]byte("P4\n9 2\n"), make([]byte, 4)...), true},
		{"ppm", append([]byte("P6 2 2 255\n"), make([]byte, 12)...), true},
		{"truncated pgm", append([]byte("P5\n4 3\n255\n"), make([]byte, 5)...), false},
		{"pgm without size", []byte("P5\n\n"), false},
		{"zero width pgm", []byte("P5 0 3 255\n"), false},
		{"empty", nil, false},
		{"text", []byte("not an image at all"), false},
		{"truncated png header", pngBuf.Bytes()[:20], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkImage(ocr.Image{Data: tt.data})
			if tt.ok && err != nil {
				t.Fatalf("checkImage: %v", err)
			}
			if !tt.ok && !errors.Is(err, ocr.ErrBadImage) {
				t.Fatalf("checkImage = %v, want ErrBadImage", err)
			}
		})
	}
}
