package tesseract

// #include <stdlib.h>
import "C"

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"unsafe"

	"sohoa/ocr"
	"sohoa/pipeline/netpbm"
)

// raster is a page's pixels in Leptonica's own serialization ("spix",
// Leptonica's spixio.c): a header of seven 32-bit words (the magic "spix",
// width, height, depth, words per row, colormap size 0, raster size), then
// the raster as Leptonica keeps it in memory: rows of native-endian 32-bit
// words, the leftmost pixel in the most significant bits, 0xRRGGBB00 per
// colour pixel. pixReadMem reads it with one copy, where a PNG costs it
// libpng and zlib and a PPM an fread per byte (measured on a 300-dpi
// colour page: 1.3 G instructions as PNG, 3.4 G as PPM, 42 M as spix).
//
// Leptonica makes exactly this pix from an opaque 8-bit grey or colour PNG
// or an 8-bit PGM or PPM (same samples, same depth, one sample per pixel
// for grey and three for colour, no colormap); only the resolution is not
// carried, and Recognize sets that itself (see fill).
//
// The buffer is C memory, reused from page to page, and a PNG is decoded
// into it row by row (layPNG), so no page-sized image is made on the Go
// heap: with image/png's image, one per page, peak RSS for 24 colour pages
// at 300 dpi with two workers was 575 to 645 MB; this way it is 480 to 490
// MB (500 MB before the raster path, when Leptonica decoded the PNG).
type raster struct {
	buf         []byte // the spix file; empty when the page has no raster
	w, h, depth int
	wpl         int // 32-bit words per row
}

const spixHeader = 28

// blankPix is a one-pixel white spix file.
var blankPix = func() []byte {
	b := make([]byte, spixHeader+4)
	copy(b, "spix")
	for i, v := range []uint32{1, 1, 8, 1, 0, 4, 0xff000000} {
		binary.NativeEndian.PutUint32(b[4+4*i:], v)
	}
	return b
}()

// drop forgets the last page's pixels, keeping the buffer for the next.
func (r *raster) drop() {
	r.buf = r.buf[:0]
	r.w, r.h, r.depth, r.wpl = 0, 0, 0, 0
}

// free gives the buffer back; the raster is then empty.
func (r *raster) free() {
	if cap(r.buf) > 0 {
		C.free(unsafe.Pointer(unsafe.SliceData(r.buf)))
	}
	*r = raster{}
}

// fill lays out img's pixels when img is an opaque PNG with 8-bit grey or
// colour samples, or a raw PGM or PPM with maxval 255, and reports whether
// it did. Any other image, or one that does not decode, is left to
// Leptonica as it comes, so that errors and pixels stay what they were.
//
// A PNG's pHYs resolution is lost on the way; Recognize tells Tesseract
// img.DPI instead whenever that is credible (70 dpi or more), and then the
// pix's own resolution is never used. Otherwise Tesseract takes 70 dpi for
// the raster (gosseract's floor for a pix with no resolution), so fill
// declines a PNG whose pHYs would give Leptonica a credible one.
func (r *raster) fill(img ocr.Image) bool {
	r.drop()
	d := img.Data
	switch {
	case bytes.HasPrefix(d, pngSignature):
		if !plainPNG(d) || (img.DPI < 70 && leptonicaDPI(d) >= 70) {
			return false
		}
		return r.layPNG(d)
	case len(d) > 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6'):
		h, err := netpbm.ParseHeader(d)
		comps := 1
		if h.Kind == '6' {
			comps = 3
		}
		if err != nil || h.Maxval != 255 || len(d)-h.Start < comps*h.Width*h.Height {
			return false
		}
		r.lay(h.Width, h.Height, d[h.Start:], comps*h.Width, comps)
		return true
	}
	return false
}

// lay writes the spix file of a w×h image whose rows of stride bytes hold
// comps bytes a pixel: grey (1), or red, green and blue (3).
func (r *raster) lay(w, h int, pix []byte, stride, comps int) {
	r.begin(w, h, comps)
	for y := range h {
		r.putRow(y, pix[y*stride:y*stride+comps*w], comps)
	}
}

// begin sizes the buffer for a w×h image of comps (1 or 3) samples a pixel
// and writes the spix header.
func (r *raster) begin(w, h, comps int) {
	depth := 32
	if comps == 1 {
		depth = 8
	}
	wpl := (w*depth + 31) / 32
	size := spixHeader + 4*wpl*h
	if cap(r.buf) < size {
		r.free()
		r.buf = unsafe.Slice((*byte)(C.malloc(C.size_t(size))), size)
	}
	b := r.buf[:size]
	copy(b, "spix")
	for i, v := range []int{w, h, depth, wpl, 0, 4 * wpl * h} {
		binary.NativeEndian.PutUint32(b[4+4*i:], uint32(v))
	}
	r.buf, r.w, r.h, r.depth, r.wpl = b, w, h, depth, wpl
}

// putRow writes row y from src, comps samples a pixel.
func (r *raster) putRow(y int, src []byte, comps int) {
	ne := binary.NativeEndian
	dst := r.buf[spixHeader+4*r.wpl*y : spixHeader+4*r.wpl*(y+1)]
	if r.depth == 32 {
		for x := range r.w {
			s := src[comps*x : comps*x+3]
			ne.PutUint32(dst[4*x:4*x+4], uint32(s[0])<<24|uint32(s[1])<<16|uint32(s[2])<<8)
		}
		return
	}
	full := r.w / 4
	for i := range full {
		s := src[4*i : 4*i+4]
		ne.PutUint32(dst[4*i:4*i+4], uint32(s[0])<<24|uint32(s[1])<<16|uint32(s[2])<<8|uint32(s[3]))
	}
	if full < r.wpl {
		var v uint32
		for k, s := range src[4*full : r.w] {
			v |= uint32(s) << (24 - 8*k)
		}
		ne.PutUint32(dst[4*full:], v)
	}
}

// layPNG decodes a PNG that plainPNG accepts straight into the raster, row
// by row, as image/png would (zlib, then the five row filters of the PNG
// specification) but without the page-sized image image/png makes (35 MB for a
// colour page at 300 dpi, on the Go heap, for every page). It checks the
// CRC of every chunk it reads and zlib's checksum, as image/png does, and
// declines an interlaced image, and one of more than 2²⁸ pixels (left to
// Leptonica, as before).
func (r *raster) layPNG(d []byte) bool {
	i := len(pngSignature)
	ihdr := d[i+8 : i+8+13]
	w, h := int(binary.BigEndian.Uint32(ihdr)), int(binary.BigEndian.Uint32(ihdr[4:]))
	if w <= 0 || h <= 0 || w > 1<<24 || h > 1<<24 || int64(w)*int64(h) > 1<<28 || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0 {
		return false
	}
	comps := 1
	if ihdr[9] == 2 {
		comps = 3
	}
	var idat []io.Reader
	ended := false // libpng (so Leptonica) refuses a PNG without IEND; so does this
	for i+12 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		if n < 0 || n > len(d)-i-12 {
			return false
		}
		kind, body := d[i+4:i+8], d[i+8:i+8+n]
		if crc32.ChecksumIEEE(d[i+4:i+8+n]) != binary.BigEndian.Uint32(d[i+8+n:]) {
			return false
		}
		i += 12 + n
		switch string(kind) {
		case "IDAT":
			idat = append(idat, bytes.NewReader(body))
			continue
		case "IEND":
			i, ended = len(d), true
			continue
		case "IHDR", "PLTE":
			continue
		}
		if kind[0]&0x20 == 0 { // an unknown critical chunk
			return false
		}
	}
	if len(idat) == 0 || !ended {
		return false
	}
	zr, err := zlib.NewReader(io.MultiReader(idat...))
	if err != nil {
		return false
	}
	r.begin(w, h, comps)
	n := comps * w
	cur, prev := make([]byte, 1+n), make([]byte, 1+n)
	for y := range h {
		if _, err := io.ReadFull(zr, cur); err != nil || !unfilter(cur[0], cur[1:], prev[1:], comps) {
			r.drop()
			return false
		}
		r.putRow(y, cur[1:], comps)
		cur, prev = prev, cur
	}
	// Read to the end of the stream, so that zlib checks its checksum.
	if n, err := io.Copy(io.Discard, zr); err != nil || n != 0 {
		r.drop()
		return false
	}
	return true
}

// unfilter undoes PNG row filter f on cur, given the previous row (zeros
// for the first) and bpp bytes a pixel; false for an unknown filter.
func unfilter(f byte, cur, prev []byte, bpp int) bool {
	switch f {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i, p := range prev {
			cur[i] += p
		}
	case 3:
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4:
		// Per channel, keeping the left (a) and upper-left (c) samples
		// in registers, as image/png does.
		for k := range bpp {
			a, c := 0, 0
			for i := k; i < len(cur); i += bpp {
				b := int(prev[i])
				pa, pb := b-c, a-c
				pc := abs(pa + pb)
				pa, pb = abs(pa), abs(pb)
				switch {
				case pa <= pb && pa <= pc:
				case pb <= pc:
					a = b
				default:
					a = c
				}
				a = (a + int(cur[i])) & 0xff
				cur[i] = uint8(a)
				c = b
			}
		}
	default:
		return false
	}
	return true
}

// ReadRegion copies the pixels within r of the last page out of the raster
// Tesseract was given: *image.Gray for a grey page, *image.RGBA (opaque)
// for a colour one, the types and samples Go's decoders give for the same
// file. ok is false when the last page had no raster (another format, or
// it failed): the caller decodes the image itself.
func (e *Engine) ReadRegion(r image.Rectangle) (image.Image, bool) {
	p := &e.page
	if len(p.buf) == 0 {
		return nil, false
	}
	r = r.Intersect(image.Rect(0, 0, p.w, p.h))
	ne := binary.NativeEndian
	if p.depth == 32 {
		m := image.NewRGBA(r)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			dst := m.Pix[(y-r.Min.Y)*m.Stride:]
			src := p.buf[spixHeader+4*(y*p.wpl+r.Min.X):]
			for x := range r.Dx() {
				v := ne.Uint32(src[4*x:])
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = uint8(v>>24), uint8(v>>16), uint8(v>>8), 0xff
			}
		}
		return m, true
	}
	m := image.NewGray(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dst := m.Pix[(y-r.Min.Y)*m.Stride:]
		row := p.buf[spixHeader+4*y*p.wpl:]
		for x := r.Min.X; x < r.Max.X; x++ {
			dst[x-r.Min.X] = uint8(ne.Uint32(row[4*(x>>2):]) >> (24 - 8*(x&3)))
		}
	}
	return m, true
}

func abs(x int) int {
	m := x >> 63
	return (x ^ m) - m
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// plainPNG reports whether a PNG has 8-bit grey or colour samples (no
// palette, no alpha channel, not 16-bit) and no transparent colour (a tRNS
// chunk, which comes before the image data): the PNGs whose pixels
// Leptonica and Go's decoder agree on and give as 8 or 32 bits a pixel.
func plainPNG(d []byte) bool {
	i := len(pngSignature)
	if len(d) < i+8+13 || string(d[i+4:i+8]) != "IHDR" {
		return false
	}
	if depth, kind := d[i+8+8], d[i+8+9]; depth != 8 || (kind != 0 && kind != 2) {
		return false
	}
	for i+8 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		switch string(d[i+4 : i+8]) {
		case "tRNS":
			return false
		case "IDAT":
			return true
		}
		if n < 0 || n > len(d)-i-12 {
			return false
		}
		i += 12 + n
	}
	return false
}

// leptonicaDPI is the vertical resolution Leptonica gives the pix it reads
// from a PNG: the pHYs density when its unit is the metre, converted as
// pngio.c does (float pixels per metre / 39.37, rounded half up); 0 when
// there is none.
func leptonicaDPI(d []byte) int {
	for i := len(pngSignature); i+12 <= len(d); {
		n := int(binary.BigEndian.Uint32(d[i:]))
		if n < 0 || n > len(d)-i-12 {
			return 0
		}
		switch string(d[i+4 : i+8]) {
		case "pHYs":
			if n == 9 && d[i+8+8] == 1 {
				return int(float32(binary.BigEndian.Uint32(d[i+8+4:]))/39.37 + 0.5)
			}
			return 0
		case "IDAT":
			return 0
		}
		i += 12 + n
	}
	return 0
}
