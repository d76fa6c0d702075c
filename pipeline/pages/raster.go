package pages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
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
// is not decoded (uprightRaster decodes a JPEG stored sideways).
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
	data, err := readLimited(f, limit)
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

// readLimited reads f from where it is to its end, but no more than
// limit+1 bytes. The buffer is sized from the file's length, so a page of
// megabytes is read in place rather than grown and copied as it comes.
func readLimited(f *os.File, limit int64) ([]byte, error) {
	size := int64(bytes.MinRead)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size += st.Size()
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, limit+1)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	return buf.Bytes(), err
}

// uprightRaster turns a JPEG page upright when its EXIF orientation says
// its pixels are stored turned or mirrored; other images are returned as
// they are.
func uprightRaster(img ocr.Image, fe fileError) (ocr.Image, error) {
	if img.Format != string(FormatJPEG) {
		return img, nil
	}
	o := jpegOrientation(img.Data)
	if o <= 1 {
		return img, nil
	}
	up, err := orient(img, o)
	if err != nil {
		return ocr.Image{}, fe.new(Corrupt, 0, err)
	}
	return up, nil
}

// jpegOrientation returns the EXIF orientation (1 to 8) of a JPEG, 1 when
// it has none or an invalid one. Phones and some scanners store the pixels
// as the sensor read them and say in EXIF how to turn them for display;
// OCR engines ignore EXIF, so Split turns them itself.
func jpegOrientation(b []byte) int {
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		marker := b[i+1]
		if marker == 0xff {
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xda || n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			if o := tiffOrientation(seg[6:]); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 274 (Orientation) of the first IFD of the TIFF
// structure inside an EXIF segment; 0 when absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	off := int64(order.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(order.Uint16(t[off:]))
	for k := int64(0); k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		if order.Uint16(t[e:]) == 274 && order.Uint16(t[e+2:]) == 3 {
			return int(order.Uint16(t[e+8:]))
		}
	}
	return 0
}

// orient decodes a JPEG whose EXIF orientation o (2 to 8) is not upright
// and returns it turned upright as PNM (P5 for grey, P6 for colour). Its
// size was checked against MaxPixels from the header.
func orient(img ocr.Image, o int) (ocr.Image, error) {
	m, err := jpeg.Decode(bytes.NewReader(img.Data))
	if err != nil {
		return ocr.Image{}, fmt.Errorf("decode jpeg to turn it upright: %w", err)
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	// src maps a displayed pixel to the stored one (EXIF 2.3, tag 274).
	src := func(x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return y, h - 1 - x
		case 7:
			return w - 1 - y, h - 1 - x
		case 8:
			return w - 1 - y, x
		}
		return x, y
	}
	gray, isGray := m.(*image.Gray)
	magic, comps := "P6", 3
	if isGray {
		magic, comps = "P5", 1
	}
	hdr := pnmHeader(magic, dw, dh, 255)
	out := make([]byte, len(hdr), len(hdr)+comps*dw*dh)
	copy(out, hdr)
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			sx, sy := src(x, y)
			if isGray {
				out = append(out, gray.Pix[sy*gray.Stride+sx])
				continue
			}
			c := color.RGBAModel.Convert(m.At(b.Min.X+sx, b.Min.Y+sy)).(color.RGBA)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return ocr.Image{Data: out, Format: "pnm", Width: dw, Height: dh, DPI: img.DPI}, nil
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
