package pages

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"
)

// PNM (netpbm) is the page image format Split emits for pixels it had to
// decode: leptonica, and so Tesseract, reads it without any decompression
// step, and it is trivially bounded in size (header + width×height×depth).

// pnmHeader returns the header of a binary PNM image: P4 (bilevel, no
// maxval), P5 (gray) or P6 (RGB).
func pnmHeader(magic string, width, height, maxval int) []byte {
	if magic == "P4" {
		return fmt.Appendf(nil, "P4\n%d %d\n", width, height)
	}
	return fmt.Appendf(nil, "%s\n%d %d\n%d\n", magic, width, height, maxval)
}

// encodePNM encodes img as PNM: P4 when bilevel (every pixel pure black or
// white is the caller's promise; gray values are thresholded at 50%), P5
// for gray images, P6 otherwise. Alpha is dropped: scans have none worth
// keeping.
func encodePNM(img image.Image, bilevel bool) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if bilevel {
		stride := (w + 7) / 8
		out := make([]byte, 0, 32+stride*h)
		out = append(out, pnmHeader("P4", w, h, 1)...)
		row := make([]byte, stride)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			clear(row)
			for x := 0; x < w; x++ {
				if grayAt(img, b.Min.X+x, y) < 128 {
					row[x/8] |= 0x80 >> (x % 8)
				}
			}
			out = append(out, row...)
		}
		return out
	}
	switch m := img.(type) {
	case *image.Gray:
		out := make([]byte, 0, 32+w*h)
		out = append(out, pnmHeader("P5", w, h, 255)...)
		for y := 0; y < h; y++ {
			off := y * m.Stride
			out = append(out, m.Pix[off:off+w]...)
		}
		return out
	case *image.Gray16:
		out := make([]byte, 0, 32+2*w*h)
		out = append(out, pnmHeader("P5", w, h, 65535)...)
		for y := 0; y < h; y++ {
			off := y * m.Stride
			out = append(out, m.Pix[off:off+2*w]...)
		}
		return out
	}
	out := make([]byte, 0, 32+3*w*h)
	out = append(out, pnmHeader("P6", w, h, 255)...)
	switch m := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			px := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for i := 0; i < len(px); i += 4 {
				out = append(out, px[i], px[i+1], px[i+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			px := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for i := 0; i < len(px); i += 4 {
				out = append(out, px[i], px[i+1], px[i+2])
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				out = append(out, c.R, c.G, c.B)
			}
		}
	}
	return out
}

func grayAt(img image.Image, x, y int) uint8 {
	if g, ok := img.(*image.Gray); ok {
		return g.Pix[(y-g.Rect.Min.Y)*g.Stride+(x-g.Rect.Min.X)]
	}
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

// parsePNMHeader reads the header of a binary PNM (P4, P5 or P6) and
// returns its size and the offset of the pixel data.
func parsePNMHeader(b []byte) (magic string, width, height, maxval, offset int, err error) {
	if len(b) < 2 || b[0] != 'P' || (b[1] != '4' && b[1] != '5' && b[1] != '6') {
		return "", 0, 0, 0, 0, errors.New("not a binary PNM image")
	}
	magic = string(b[:2])
	i := 2
	fields := 3
	if magic == "P4" {
		fields = 2
	}
	vals := make([]int, 0, 3)
	for len(vals) < fields {
		for i < len(b) && (isSpace(b[i]) || b[i] == '#') {
			if b[i] == '#' {
				for i < len(b) && b[i] != '\n' {
					i++
				}
				continue
			}
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 9 {
			i++
		}
		if start == i {
			return "", 0, 0, 0, 0, errors.New("malformed PNM header")
		}
		v, _ := strconv.Atoi(string(b[start:i]))
		vals = append(vals, v)
	}
	if i >= len(b) || !isSpace(b[i]) {
		return "", 0, 0, 0, 0, errors.New("malformed PNM header")
	}
	maxval = 1
	if fields == 3 {
		maxval = vals[2]
	}
	return magic, vals[0], vals[1], maxval, i + 1, nil
}

// pnmSize is the exact byte size of the pixel data of a PNM image.
func pnmSize(magic string, width, height, maxval int) int64 {
	bps := int64(1)
	if maxval > 255 {
		bps = 2
	}
	switch magic {
	case "P4":
		return int64((width+7)/8) * int64(height)
	case "P5":
		return bps * int64(width) * int64(height)
	}
	return 3 * bps * int64(width) * int64(height)
}
