package archive

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
)

// pnmPage reads a Netpbm file's samples as they are when it can, and
// otherwise decodes it.
func pnmPage(data []byte) (pageImage, error) {
	r, ok, err := pnmRaster(data)
	if err == nil && !ok {
		var decoded image.Image
		if decoded, err = decodePNM(data); err == nil {
			r = newRaster(decoded)
		}
	}
	if err != nil {
		return pageImage{}, fmt.Errorf("decode pnm image: %w", err)
	}
	return rasterPage(pageImage{}, r), nil
}

// pnmRaster reads a raw Netpbm file whose samples are already laid out as
// PDF's: a bitmap (P4, with 1 for black where PDF has 1 for white), or a
// graymap or pixmap (P5, P6) whose maxval is 255 or 65535. Rows are taken
// from the file as they are. ok is false for the other kinds (plain text,
// other maxvals), which decodePNM decodes.
func pnmRaster(data []byte) (r *raster, ok bool, err error) {
	if len(data) < 3 || data[0] != 'P' || data[1] < '4' || data[1] > '6' {
		return nil, false, nil
	}
	kind := data[1]
	p := pnmParser{data: data, pos: 2}
	width, height, maxval := p.header(), p.header(), 1
	if kind != '4' {
		maxval = p.header()
	}
	if p.err != nil || width <= 0 || height <= 0 || width > math.MaxInt32/height/8 ||
		(kind != '4' && maxval != 255 && maxval != 65535) {
		return nil, false, nil // decodePNM says what is wrong
	}
	start := p.pos + 1 // exactly one whitespace byte before raw data
	channels, sampleBytes := 1, 1
	if kind == '6' {
		channels = 3
	}
	if maxval == 65535 {
		sampleBytes = 2
	}
	rowBytes := width * channels * sampleBytes
	if kind == '4' {
		rowBytes = (width + 7) / 8
	}
	if len(data)-start < rowBytes*height {
		return nil, false, fmt.Errorf("Netpbm data is truncated")
	}
	rows := func(y int, _ []byte) []byte {
		return data[start+y*rowBytes:][:rowBytes]
	}
	switch {
	case kind == '4':
		// Bits past the width are cleared, as decoding would leave them.
		pad := byte(0xff) << ((8 - width%8) % 8)
		return &raster{width, height, kindBilevel, func(y int, buf []byte) []byte {
			for i, v := range rows(y, nil) {
				buf[i] = ^v
			}
			buf[len(buf)-1] &= pad
			return buf
		}}, true, nil
	case maxval == 65535 && channels == 1:
		return &raster{width, height, kindGray16, rows}, true, nil
	case maxval == 65535:
		return &raster{width, height, kindRGB16, rows}, true, nil
	}
	return raster8(rows8{width, height, channels, rows}), true, nil
}

// decodePNM decodes the Netpbm formats P1 to P6 (bitmap, graymap and
// pixmap, plain or raw). Bitmaps and graymaps become *image.Gray (or
// *image.Gray16 when maxval is above 255), pixmaps *image.RGBA (or
// *image.RGBA64); samples are scaled from maxval to the full range.
func decodePNM(data []byte) (image.Image, error) {
	p := pnmParser{data: data}
	if len(data) < 3 || data[0] != 'P' || data[1] < '1' || data[1] > '6' {
		return nil, fmt.Errorf("not a Netpbm P1-P6 file")
	}
	kind := data[1]
	p.pos = 2
	width, height := p.header(), p.header()
	maxval := 1
	if kind != '1' && kind != '4' {
		maxval = p.header()
	}
	if p.err != nil {
		return nil, p.err
	}
	if width <= 0 || height <= 0 || maxval <= 0 || maxval > 65535 {
		return nil, fmt.Errorf("Netpbm header is invalid (%dx%d, maxval %d)", width, height, maxval)
	}
	if width > math.MaxInt32/height/8 {
		return nil, fmt.Errorf("Netpbm image is too large (%dx%d)", width, height)
	}
	plain := kind <= '3'
	if !plain {
		p.pos++ // exactly one whitespace byte before raw data
	}
	channels := 1
	if kind == '3' || kind == '6' {
		channels = 3
	}
	wide := maxval > 255
	// sample reads the next sample scaled to 0..65535.
	sample := func() int {
		var v int
		switch {
		case plain:
			v = p.header()
		case wide:
			if p.pos+2 > len(p.data) {
				p.err = fmt.Errorf("Netpbm data is truncated")
				return 0
			}
			v = int(binary.BigEndian.Uint16(p.data[p.pos:]))
			p.pos += 2
		default:
			if p.pos >= len(p.data) {
				p.err = fmt.Errorf("Netpbm data is truncated")
				return 0
			}
			v = int(p.data[p.pos])
			p.pos++
		}
		v = min(v, maxval)
		return (v*65535 + maxval/2) / maxval
	}

	rect := image.Rect(0, 0, width, height)
	switch {
	case kind == '1' || kind == '4':
		img := image.NewGray(rect)
		rowBytes := (width + 7) / 8
		for y := 0; y < height && p.err == nil; y++ {
			for x := 0; x < width; x++ {
				var black bool
				if plain {
					black = p.bit()
				} else {
					i := p.pos + y*rowBytes + x/8
					if i >= len(p.data) {
						return nil, fmt.Errorf("Netpbm data is truncated")
					}
					black = p.data[i]&(0x80>>(x%8)) != 0
				}
				if !black { // PBM: 1 is black
					img.Pix[y*img.Stride+x] = 0xff
				}
			}
		}
		return img, p.err
	case channels == 1 && !wide:
		img := image.NewGray(rect)
		for i := range img.Pix {
			img.Pix[i] = uint8(sample() >> 8)
		}
		return img, p.err
	case channels == 1:
		img := image.NewGray16(rect)
		for i := 0; i < len(img.Pix); i += 2 {
			binary.BigEndian.PutUint16(img.Pix[i:], uint16(sample()))
		}
		return img, p.err
	case !wide:
		img := image.NewRGBA(rect)
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i] = uint8(sample() >> 8)
			img.Pix[i+1] = uint8(sample() >> 8)
			img.Pix[i+2] = uint8(sample() >> 8)
			img.Pix[i+3] = 0xff
		}
		return img, p.err
	default:
		img := image.NewRGBA64(rect)
		for i := 0; i < len(img.Pix); i += 8 {
			binary.BigEndian.PutUint16(img.Pix[i:], uint16(sample()))
			binary.BigEndian.PutUint16(img.Pix[i+2:], uint16(sample()))
			binary.BigEndian.PutUint16(img.Pix[i+4:], uint16(sample()))
			binary.BigEndian.PutUint16(img.Pix[i+6:], 0xffff)
		}
		return img, p.err
	}
}

type pnmParser struct {
	data []byte
	pos  int
	err  error
}

// skip passes whitespace and comments.
func (p *pnmParser) skip() {
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c == '#':
			for p.pos < len(p.data) && p.data[p.pos] != '\n' && p.data[p.pos] != '\r' {
				p.pos++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			p.pos++
		default:
			return
		}
	}
}

// header reads a decimal number of the header or of plain data.
func (p *pnmParser) header() int {
	if p.err != nil {
		return 0
	}
	p.skip()
	start, v := p.pos, 0
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		v = v*10 + int(p.data[p.pos]-'0')
		if v > math.MaxInt32 {
			p.err = fmt.Errorf("Netpbm number is too large")
			return 0
		}
		p.pos++
	}
	if p.pos == start {
		p.err = fmt.Errorf("Netpbm file is truncated or malformed at byte %d", p.pos)
	}
	return v
}

// bit reads one pixel of a plain bitmap, where digits need no separator.
func (p *pnmParser) bit() bool {
	if p.err != nil {
		return false
	}
	p.skip()
	if p.pos >= len(p.data) || (p.data[p.pos] != '0' && p.data[p.pos] != '1') {
		p.err = fmt.Errorf("Netpbm bitmap is truncated or malformed at byte %d", p.pos)
		return false
	}
	p.pos++
	return p.data[p.pos-1] == '1'
}
