package archive

import (
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"io"
)

// sampleKind is how a decoded page image is stored in the PDF. Each kind
// keeps every value of the decoded image: nothing is lost but alpha, which
// is flattened onto white paper.
type sampleKind int

const (
	// kindBilevel is black and white only, packed 1 bit per pixel.
	kindBilevel sampleKind = iota
	kindGray8
	kindGray16
	kindRGB8
	kindRGB16
	// kindCMYK8 comes only from CMYK TIFF files.
	kindCMYK8
)

// raster is a page image whose samples the archive compresses itself: a
// Netpbm file or a decoded image. Its samples are read a row at a time,
// straight from the file or the decoded pixels where their layout is
// already the PDF's.
type raster struct {
	width, height int
	kind          sampleKind
	// row returns row y's samples in kind's layout, rowBytes long: a slice
	// of the image's own memory or of buf, which is rowBytes long.
	row func(y int, buf []byte) []byte
}

// rows8 is an image with 8-bit samples read a row at a time as grey
// (channels 1) or RGB (channels 3) samples on white paper. row returns a
// slice of the image's own memory or of buf, which is width × channels
// long.
type rows8 struct {
	width, height, channels int
	row                     func(y int, buf []byte) []byte
}

// newRaster lays out a decoded image's samples. Its concrete type is
// switched on once so that no pixel goes through an interface call, except
// for image types no decoder used here returns.
func newRaster(img image.Image) *raster {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return raster8(rows8{w, h, 1, func(y int, _ []byte) []byte {
			return m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		}})
	case *image.Gray16: // already big-endian
		return &raster{w, h, kindGray16, func(y int, _ []byte) []byte {
			return m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
		}}
	case *image.CMYK:
		return &raster{w, h, kindCMYK8, func(y int, _ []byte) []byte {
			return m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		}}
	case *image.RGBA:
		return raster8(rows8{w, h, 3, func(y int, buf []byte) []byte {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			for x := range w {
				p := src[4*x : 4*x+4 : 4*x+4]
				white := 0xff - p[3] // premultiplied: colour plus uncovered white
				buf[3*x], buf[3*x+1], buf[3*x+2] = p[0]+white, p[1]+white, p[2]+white
			}
			return buf
		}})
	case *image.NRGBA:
		return raster8(rows8{w, h, 3, func(y int, buf []byte) []byte {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			for x := range w {
				p := src[4*x : 4*x+4 : 4*x+4]
				d := buf[3*x : 3*x+3 : 3*x+3]
				if a := uint32(p[3]); a == 0xff {
					d[0], d[1], d[2] = p[0], p[1], p[2]
				} else {
					over := func(c uint8) uint8 { return uint8((uint32(c)*a + 0xff*(0xff-a) + 0x7f) / 0xff) }
					d[0], d[1], d[2] = over(p[0]), over(p[1]), over(p[2])
				}
			}
			return buf
		}})
	case *image.Paletted:
		// Indices past the palette show black, as PNG decoders do.
		var lut [256][3]byte
		for i, c := range m.Palette[:min(len(m.Palette), 256)] {
			r, g, b := flatten16(c)
			lut[i] = [3]byte{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
		}
		return raster8(rows8{w, h, 3, func(y int, buf []byte) []byte {
			for x, i := range m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w] {
				copy(buf[3*x:3*x+3], lut[i][:])
			}
			return buf
		}})
	case *image.RGBA64:
		return &raster{w, h, kindRGB16, func(y int, buf []byte) []byte {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			for x := range w {
				p := src[8*x : 8*x+8 : 8*x+8]
				white := 0xffff - (uint32(p[6])<<8 | uint32(p[7]))
				for c := range 3 {
					v := uint32(p[2*c])<<8 | uint32(p[2*c+1]) + white
					buf[6*x+2*c], buf[6*x+2*c+1] = uint8(v>>8), uint8(v)
				}
			}
			return buf
		}}
	case *image.NRGBA64:
		return &raster{w, h, kindRGB16, func(y int, buf []byte) []byte {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			for x := range w {
				p := src[8*x : 8*x+8 : 8*x+8]
				a := uint32(p[6])<<8 | uint32(p[7])
				for c := range 3 {
					// As color.NRGBA64.RGBA premultiplies, then onto white.
					v := (uint32(p[2*c])<<8|uint32(p[2*c+1]))*a/0xffff + 0xffff - a
					buf[6*x+2*c], buf[6*x+2*c+1] = uint8(v>>8), uint8(v)
				}
			}
			return buf
		}}
	}
	return raster8(rows8{w, h, 3, func(y int, buf []byte) []byte {
		for x := range w {
			r, g, bl := flatten16(img.At(b.Min.X+x, b.Min.Y+y))
			buf[3*x], buf[3*x+1], buf[3*x+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
		}
		return buf
	}})
}

// flatten16 puts c onto white paper.
func flatten16(c color.Color) (r, g, b uint16) {
	pr, pg, pb, a := c.RGBA() // premultiplied
	return uint16(pr + 0xffff - a), uint16(pg + 0xffff - a), uint16(pb + 0xffff - a)
}

// raster8 chooses the smallest layout that keeps every value of an 8-bit
// image: a grey or black-and-white picture stored as RGB (common with
// scanner files) becomes grey or 1 bit per pixel. Finding out costs one
// pass over the samples, which the smaller layout repays in compression.
func raster8(src rows8) *raster {
	r := &raster{width: src.width, height: src.height, kind: classify8(src)}
	wide := make([]byte, src.width*src.channels)
	switch {
	case r.kind == kindRGB8, r.kind == kindGray8 && src.channels == 1:
		r.row = src.row
	case r.kind == kindGray8:
		r.row = func(y int, buf []byte) []byte {
			px := src.row(y, wide)
			for x := range buf {
				buf[x] = px[3*x]
			}
			return buf
		}
	default:
		r.row = func(y int, buf []byte) []byte {
			packBits(buf, src.row(y, wide), src.channels)
			return buf
		}
	}
	return r
}

// classify8 scans an 8-bit image for colour and for values other than
// black and white.
func classify8(src rows8) sampleKind {
	buf := make([]byte, src.width*src.channels)
	bilevel := true
	for y := range src.height {
		px := src.row(y, buf)
		if src.channels == 3 {
			for i := 0; i+2 < len(px); i += 3 {
				if px[i] != px[i+1] || px[i] != px[i+2] {
					return kindRGB8
				}
			}
		}
		if bilevel {
			for _, v := range px {
				if v != 0 && v != 0xff {
					bilevel = false
					break
				}
			}
			if !bilevel && src.channels == 1 {
				return kindGray8
			}
		}
	}
	if bilevel {
		return kindBilevel
	}
	return kindGray8
}

// packBits packs black-and-white samples, every step-th of px, 8 pixels a
// byte; 1 is white in DeviceGray.
func packBits(dst, px []byte, step int) {
	clear(dst)
	for x := 0; x*step < len(px); x++ {
		if px[x*step] >= 0x80 {
			dst[x>>3] |= 0x80 >> (x & 7)
		}
	}
}

// dict returns the image dictionary entries that describe the samples.
func (r *raster) dict() string {
	var space string
	var bpc, colors int
	switch r.kind {
	case kindBilevel:
		space, bpc, colors = "/DeviceGray", 1, 1
	case kindGray8:
		space, bpc, colors = "/DeviceGray", 8, 1
	case kindGray16:
		space, bpc, colors = "/DeviceGray", 16, 1
	case kindRGB8:
		space, bpc, colors = "/DeviceRGB", 8, 3
	case kindRGB16:
		space, bpc, colors = "/DeviceRGB", 16, 3
	case kindCMYK8:
		space, bpc, colors = "/DeviceCMYK", 8, 4
	}
	d := fmt.Sprintf(" /ColorSpace %s /BitsPerComponent %d /Filter /FlateDecode", space, bpc)
	if r.kind != kindBilevel {
		// Rows start with their PNG filter type, as in a PNG file.
		d += fmt.Sprintf(" /DecodeParms <</Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d>>",
			colors, bpc, r.width)
	}
	return d
}

// bytesPerPixel is the size of a pixel's samples, at least 1.
func (r *raster) bytesPerPixel() int {
	switch r.kind {
	case kindGray16:
		return 2
	case kindRGB8:
		return 3
	case kindRGB16:
		return 6
	case kindCMYK8:
		return 4
	}
	return 1
}

// rowBytes is the size of one row of samples.
func (r *raster) rowBytes() int {
	if r.kind == kindBilevel {
		return (r.width + 7) / 8
	}
	return r.width * r.bytesPerPixel()
}

// writeSamples compresses the image's samples into w row by row, so that
// nothing bigger than a few rows is held beside the image.
//
// Speed matters more than the last few per cent of size: the archive is
// written on the machine that runs OCR, whose cores are all busy. On the
// real 300-dpi A4 scan in testdata, grey and colour, zlib's BestSpeed with
// the Up predictor on every row takes a fifth of the time of
// DefaultCompression with the predictor chosen row by row from all five
// (the usual encoder heuristic), for 10 to 12 per cent more bytes. Paeth
// on every row would save 4 per cent more and cost half as much time
// again; no predictor is as good on scans but 20 to 50 per cent bigger on
// photographs, and Huffman coding alone is 40 per cent bigger on scans.
// Black-and-white rows, which predictors do not help, are compressed as
// they are (10 per cent bigger than at DefaultCompression, in a third of
// the time).
func (r *raster) writeSamples(w io.Writer) error {
	zw, err := zlib.NewWriterLevel(w, zlib.BestSpeed)
	if err != nil {
		return err
	}
	n := r.rowBytes()
	buf, spare := make([]byte, n), make([]byte, n)
	prev := make([]byte, n) // the row above the first is zero
	filtered := make([]byte, 1+n)
	filtered[0] = 2 // Up: each byte minus the one above
	for y := range r.height {
		// A row built in buf must outlive the next row as prev.
		cur := r.row(y, buf)
		buf, spare = spare, buf
		out := cur
		if r.kind != kindBilevel {
			for i, v := range cur {
				filtered[1+i] = v - prev[i]
			}
			out = filtered
		}
		if _, err := zw.Write(out); err != nil {
			return err
		}
		prev = cur
	}
	return zw.Close()
}
