package tesseract

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for checkImage
	_ "image/png"

	_ "golang.org/x/image/tiff"

	"sohoa/ocr"
)

// checkImage refuses an image Leptonica would fail to read before it
// reaches Tesseract. It must: gosseract does not report a failed decode on
// a reused client, and Tesseract then dereferences a null page iterator and
// takes the whole process down. Only headers are read, so the check costs
// microseconds, not a second decode of the page.
func checkImage(img ocr.Image) error {
	d := img.Data
	switch {
	case len(d) == 0:
		return fmt.Errorf("empty image: %w", ocr.ErrBadImage)
	case len(d) > 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6':
		return checkPNM(d)
	case bytes.HasPrefix(d, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(d, []byte("\xff\x4f\xff\x51")):
		return nil // JPEG 2000: Leptonica reads it through openjpeg.
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(d))
	if err != nil {
		return fmt.Errorf("%v: %w", err, ocr.ErrBadImage)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("image is %dx%d: %w", cfg.Width, cfg.Height, ocr.ErrBadImage)
	}
	return nil
}

// checkPNM reads a Netpbm header: magic, width, height and (except for
// bitmaps) maxval, and checks the raster is all there.
func checkPNM(d []byte) error {
	magic := d[1]
	fields := 3
	if magic == '1' || magic == '4' {
		fields = 2
	}
	vals := make([]int, 0, 3)
	i := 2
	for len(vals) < fields {
		for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
			i++
		}
		if i < len(d) && d[i] == '#' {
			for i < len(d) && d[i] != '\n' {
				i++
			}
			continue
		}
		n, start := 0, i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' && i-start < 9 {
			n = n*10 + int(d[i]-'0')
			i++
		}
		if i == start {
			return fmt.Errorf("pnm header is malformed: %w", ocr.ErrBadImage)
		}
		vals = append(vals, n)
	}
	w, h := vals[0], vals[1]
	if w <= 0 || h <= 0 {
		return fmt.Errorf("pnm image is %dx%d: %w", w, h, ocr.ErrBadImage)
	}
	i++ // the single whitespace byte before the raster
	var need int
	switch magic {
	case '4':
		need = (w + 7) / 8 * h
	case '5':
		need = w * h
	case '6':
		need = 3 * w * h
	default:
		return nil // plain (ASCII) variants: size depends on the digits
	}
	if vals[len(vals)-1] > 255 && magic != '4' {
		need *= 2
	}
	if len(d)-i < need {
		return fmt.Errorf("pnm raster is truncated (%d of %d bytes): %w", len(d)-i, need, ocr.ErrBadImage)
	}
	return nil
}
