package pages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"

	"sohoa/ocr"
)

// readRaster reads a JPEG or PNG file as a one-page image, passing its bytes
// through unchanged. Dimensions come from the header (DecodeConfig) and are
// checked against MaxPixels before the rest of the file is read; the file
// is never decoded.
func readRaster(f *os.File, format Format, fe fileError, opts Options) (ocr.Image, error) {
	decodeConfig := png.DecodeConfig
	if format == FormatJPEG {
		decodeConfig = jpeg.DecodeConfig
	}
	cfg, err := decodeConfig(io.NewSectionReader(f, 0, 1<<40))
	if err != nil {
		return ocr.Image{}, fe.new(Corrupt, 0, fmt.Errorf("read %s header: %w", format, err))
	}
	if err := checkPixels(cfg.Width, cfg.Height, opts.MaxPixels); err != nil {
		return ocr.Image{}, fe.pixels(0, err)
	}
	// A compressed image cannot sensibly be bigger than 8 bytes per pixel
	// (16-bit RGBA stored uncompressed) plus its metadata.
	limit := 8*int64(cfg.Width)*int64(cfg.Height) + 16<<20
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return ocr.Image{}, fmt.Errorf("read %s: %w", format, err)
	}
	if int64(len(data)) > limit {
		return ocr.Image{}, fe.new(TooLarge, 0, fmt.Errorf("file is larger than %d bytes for a %d×%d image", limit, cfg.Width, cfg.Height))
	}
	img := ocr.Image{Data: data, Format: string(format), Width: cfg.Width, Height: cfg.Height}
	if format == FormatJPEG {
		img.DPI, err = jpegDPI(data)
	} else {
		img.DPI, err = pngDPI(data)
	}
	if err != nil {
		return ocr.Image{}, fe.new(Corrupt, 0, err)
	}
	return img, nil
}

// jpegDPI returns the JFIF density of a JPEG in dots per inch (0 when the
// file has none or gives only an aspect ratio), and an error when the file
// stops before its end-of-image marker, the usual sign of an interrupted
// copy.
func jpegDPI(b []byte) (float64, error) {
	var dpi float64
	i := 2 // after SOI
	for {
		if i+4 > len(b) || b[i] != 0xff {
			return 0, errors.New("jpeg: truncated or malformed marker segment")
		}
		marker := b[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0, errors.New("jpeg: truncated marker segment")
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xe0 && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("JFIF\x00")) {
			x := float64(binary.BigEndian.Uint16(seg[8:]))
			switch seg[7] {
			case 1:
				dpi = x
			case 2:
				dpi = math.Round(x*2.54*10) / 10
			}
		}
		i += 2 + n
		if marker == 0xda { // start of scan: entropy-coded data follows
			break
		}
	}
	// Inside entropy-coded data 0xFF is always followed by 0x00 or a
	// restart marker, so FF D9 after the first scan is the end of image.
	if !bytes.Contains(b[i:], []byte{0xff, 0xd9}) {
		return 0, errors.New("jpeg: no end-of-image marker: file is truncated")
	}
	return dpi, nil
}

// pngDPI returns the pHYs density of a PNG in dots per inch (0 when absent
// or unitless), and an error when the file has no IEND chunk.
func pngDPI(b []byte) (float64, error) {
	var dpi float64
	i := 8
	for i+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b)-i-12 {
			break
		}
		if typ == "pHYs" && n == 9 && b[i+8+8] == 1 {
			ppm := float64(binary.BigEndian.Uint32(b[i+8:]))
			dpi = math.Round(ppm*0.0254*10) / 10
		}
		if typ == "IEND" {
			return dpi, nil
		}
		i += 12 + n
	}
	return 0, errors.New("png: no IEND chunk: file is truncated")
}
