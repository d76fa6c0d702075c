// Package netpbm reads the Netpbm image formats (PBM, PGM, PPM; P1 to P6),
// the uncompressed rasters the pipeline hands Tesseract for pages that
// arrive as TIFF or as raw PDF images. Importing it registers the raw
// formats with the standard image package, so image.Decode reads them.
package netpbm

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

func init() {
	for _, magic := range []string{"P4", "P5", "P6"} {
		image.RegisterFormat("pnm", magic, decodeReader, decodeConfig)
	}
}

func decodeReader(r io.Reader) (image.Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Decode(b)
}

func decodeConfig(r io.Reader) (image.Config, error) {
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	h, err := ParseHeader(head[:n])
	if err != nil {
		return image.Config{}, err
	}
	model := color.GrayModel
	switch {
	case h.Kind == '6' && h.Maxval > 255:
		model = color.RGBA64Model
	case h.Kind == '6':
		model = color.RGBAModel
	case h.Maxval > 255:
		model = color.Gray16Model
	}
	return image.Config{ColorModel: model, Width: h.Width, Height: h.Height}, nil
}

// Header is the header of a raw Netpbm file (P4, P5, P6).
type Header struct {
	Kind          byte // '4', '5' or '6'
	Width, Height int
	Maxval        int // 1 for bitmaps
	// Start is the offset of the first raster byte.
	Start int
}

// ParseHeader reads the header of a raw Netpbm file.
func ParseHeader(data []byte) (Header, error) {
	if len(data) < 3 || data[0] != 'P' || data[1] < '4' || data[1] > '6' {
		return Header{}, fmt.Errorf("not a raw Netpbm (P4-P6) file")
	}
	p := parser{data: data, pos: 2}
	h := Header{Kind: data[1], Maxval: 1}
	h.Width, h.Height = p.header(), p.header()
	if h.Kind != '4' {
		h.Maxval = p.header()
	}
	if p.err != nil {
		return Header{}, p.err
	}
	if h.Width <= 0 || h.Height <= 0 || h.Maxval <= 0 || h.Maxval > 65535 || h.Width > math.MaxInt32/h.Height/8 {
		return Header{}, fmt.Errorf("Netpbm header is invalid (%dx%d, maxval %d)", h.Width, h.Height, h.Maxval)
	}
	h.Start = p.pos + 1 // exactly one whitespace byte before raw data
	return h, nil
}

// Decode decodes the Netpbm formats P1 to P6 (bitmap, graymap and
// pixmap, plain or raw). Bitmaps and graymaps become *image.Gray (or
// *image.Gray16 when maxval is above 255), pixmaps *image.RGBA (or
// *image.RGBA64); samples are scaled from maxval to the full range.
func Decode(data []byte) (image.Image, error) {
	p := parser{data: data}
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

type parser struct {
	data []byte
	pos  int
	err  error
}

// skip passes whitespace and comments.
func (p *parser) skip() {
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
func (p *parser) header() int {
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
func (p *parser) bit() bool {
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
