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

// raster is a decoded page image and the way its samples are written.
type raster struct {
	img  image.Image
	kind sampleKind
	// palette holds the flattened colours of a paletted image.
	palette []color.RGBA
}

// newRaster chooses the smallest lossless sample layout for img: a grey
// or black-and-white picture stored as RGB (common with scanner PNGs)
// becomes grey or 1 bit per pixel.
func newRaster(img image.Image) *raster {
	r := &raster{img: img}
	switch m := img.(type) {
	case *image.Gray16:
		r.kind = kindGray16
	case *image.RGBA64, *image.NRGBA64:
		r.kind = kindRGB16
	case *image.CMYK:
		r.kind = kindCMYK8
	case *image.Paletted:
		r.palette = make([]color.RGBA, len(m.Palette))
		for i, c := range m.Palette {
			r.palette[i] = flatten8(c)
		}
		r.kind = r.classify8()
	default:
		r.kind = r.classify8()
	}
	return r
}

// classify8 scans an 8-bit image for colour and for values other than
// black and white.
func (r *raster) classify8() sampleKind {
	b := r.img.Bounds()
	gray, bilevel := true, true
	row := make([]color.RGBA, b.Dx())
	for y := b.Min.Y; y < b.Max.Y && gray; y++ {
		r.pixels(y, row)
		for _, c := range row {
			if c.R != c.G || c.G != c.B {
				gray = false
				break
			}
			if c.R != 0 && c.R != 0xff {
				bilevel = false
			}
		}
	}
	switch {
	case !gray:
		return kindRGB8
	case bilevel:
		return kindBilevel
	}
	return kindGray8
}

// pixels reads row y of an 8-bit image flattened onto white.
func (r *raster) pixels(y int, dst []color.RGBA) {
	b := r.img.Bounds()
	switch m := r.img.(type) {
	case *image.Gray:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			v := src[x]
			dst[x] = color.RGBA{v, v, v, 0xff}
		}
	case *image.NRGBA:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			p := src[4*x : 4*x+4 : 4*x+4]
			a := uint32(p[3])
			over := func(c uint8) uint8 { return uint8((uint32(c)*a + 0xff*(0xff-a) + 0x7f) / 0xff) }
			dst[x] = color.RGBA{over(p[0]), over(p[1]), over(p[2]), 0xff}
		}
	case *image.RGBA:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			p := src[4*x : 4*x+4 : 4*x+4]
			white := 0xff - p[3] // premultiplied: colour plus uncovered white
			dst[x] = color.RGBA{p[0] + white, p[1] + white, p[2] + white, 0xff}
		}
	case *image.Paletted:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			if i := int(src[x]); i < len(r.palette) {
				dst[x] = r.palette[i]
			} else {
				dst[x] = color.RGBA{0, 0, 0, 0xff} // as image.Paletted.At does
			}
		}
	default:
		for x := range dst {
			dst[x] = flatten8(r.img.At(b.Min.X+x, y))
		}
	}
}

// flatten8 puts c onto white paper and keeps 8 bits per channel.
func flatten8(c color.Color) color.RGBA {
	r, g, b := flatten16(c)
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// flatten16 puts c onto white paper.
func flatten16(c color.Color) (r, g, b uint16) {
	pr, pg, pb, a := c.RGBA() // premultiplied
	return uint16(pr + 0xffff - a), uint16(pg + 0xffff - a), uint16(pb + 0xffff - a)
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
		// PNG predictors (15: chosen per row) make scans compress far better.
		d += fmt.Sprintf(" /DecodeParms <</Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d>>",
			colors, bpc, r.img.Bounds().Dx())
	}
	return d
}

// bytesPerPixel is the distance a PNG predictor looks back (at least 1).
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
	w := r.img.Bounds().Dx()
	if r.kind == kindBilevel {
		return (w + 7) / 8
	}
	return w * r.bytesPerPixel()
}

// row writes row y's samples into dst, which is rowBytes long.
func (r *raster) row(y int, dst []byte, scratch []color.RGBA) {
	b := r.img.Bounds()
	switch r.kind {
	case kindBilevel:
		r.pixels(y, scratch)
		clear(dst)
		for x, c := range scratch {
			if c.R >= 0x80 { // 1 is white in DeviceGray
				dst[x/8] |= 0x80 >> (x % 8)
			}
		}
	case kindGray8:
		if m, ok := r.img.(*image.Gray); ok {
			copy(dst, m.Pix[m.PixOffset(b.Min.X, y):])
			return
		}
		r.pixels(y, scratch)
		for x, c := range scratch {
			dst[x] = c.R
		}
	case kindRGB8:
		r.pixels(y, scratch)
		for x, c := range scratch {
			dst[3*x], dst[3*x+1], dst[3*x+2] = c.R, c.G, c.B
		}
	case kindCMYK8:
		m := r.img.(*image.CMYK)
		copy(dst, m.Pix[m.PixOffset(b.Min.X, y):])
	case kindGray16:
		if m, ok := r.img.(*image.Gray16); ok { // already big-endian
			copy(dst, m.Pix[m.PixOffset(b.Min.X, y):])
			return
		}
		for x := range b.Dx() {
			v, _, _ := flatten16(r.img.At(b.Min.X+x, y))
			dst[2*x], dst[2*x+1] = uint8(v>>8), uint8(v)
		}
	case kindRGB16:
		for x := range b.Dx() {
			cr, cg, cb := flatten16(r.img.At(b.Min.X+x, y))
			p := dst[6*x : 6*x+6 : 6*x+6]
			p[0], p[1], p[2], p[3], p[4], p[5] = uint8(cr>>8), uint8(cr), uint8(cg>>8), uint8(cg), uint8(cb>>8), uint8(cb)
		}
	}
}

// writeSamples compresses the image's samples into w row by row, so that
// nothing bigger than a few rows is held beside the decoded image.
func (r *raster) writeSamples(w io.Writer) error {
	zw, err := zlib.NewWriterLevel(w, zlib.DefaultCompression)
	if err != nil {
		return err
	}
	b := r.img.Bounds()
	n := r.rowBytes()
	cur, prev := make([]byte, n), make([]byte, n)
	scratch := make([]color.RGBA, b.Dx())
	var f *rowFilter
	if r.kind != kindBilevel {
		f = newRowFilter(n, r.bytesPerPixel())
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		r.row(y, cur, scratch)
		out := cur
		if f != nil {
			out = f.filter(cur, prev)
		}
		if _, err := zw.Write(out); err != nil {
			return err
		}
		cur, prev = prev, cur
	}
	return zw.Close()
}

// rowFilter applies the PNG filter that makes each row smallest by the
// usual heuristic (least sum of absolute values), as PNG encoders do.
type rowFilter struct {
	bpp int
	out [5][]byte // filter type byte followed by the filtered row
}

func newRowFilter(rowBytes, bpp int) *rowFilter {
	f := &rowFilter{bpp: bpp}
	for i := range f.out {
		f.out[i] = make([]byte, rowBytes+1)
		f.out[i][0] = byte(i)
	}
	return f
}

func (f *rowFilter) filter(cur, prev []byte) []byte {
	bpp := f.bpp
	none, sub, up, avg, paeth := f.out[0][1:], f.out[1][1:], f.out[2][1:], f.out[3][1:], f.out[4][1:]
	var sums [5]int
	abs := func(b byte) int {
		if b < 0x80 {
			return int(b)
		}
		return 0x100 - int(b)
	}
	for i, c := range cur {
		var a, pc byte
		if i >= bpp {
			a, pc = cur[i-bpp], prev[i-bpp]
		}
		u := prev[i]
		none[i] = c
		sub[i] = c - a
		up[i] = c - u
		avg[i] = c - byte((int(a)+int(u))/2)
		paeth[i] = c - paethPredictor(a, u, pc)
		sums[0] += abs(none[i])
		sums[1] += abs(sub[i])
		sums[2] += abs(up[i])
		sums[3] += abs(avg[i])
		sums[4] += abs(paeth[i])
	}
	best := 0
	for i := 1; i < 5; i++ {
		if sums[i] < sums[best] {
			best = i
		}
	}
	return f.out[best]
}

func paethPredictor(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := p-int(a), p-int(b), p-int(c)
	if pa < 0 {
		pa = -pa
	}
	if pb < 0 {
		pb = -pb
	}
	if pc < 0 {
		pc = -pc
	}
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}
