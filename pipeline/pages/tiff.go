package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
	"math"
	"os"

	"golang.org/x/image/tiff"

	"sohoa/ocr"
)

// TIFF pages are found by walking the IFD chain ourselves (x/image/tiff
// decodes only the first IFD); page k is decoded by showing x/image/tiff
// the file through a ReaderAt whose header points at IFD k.

// TIFF tags and values used here.
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagPlanarConfig    = 284
	tagT4Options       = 292
	tagT6Options       = 293
	tagResolutionUnit  = 296
	tagTileWidth       = 322
	tagJPEGTables      = 347

	compNone     = 1
	compG3       = 3
	compG4       = 4
	compLZW      = 5
	compOldJPEG  = 6
	compJPEG     = 7
	compDeflate  = 8
	compPackBits = 32773
	compDeflate2 = 32946
)

// maxIFDs bounds the IFD chain walk of a hostile file.
const maxIFDs = 1 << 20

type tiffFile struct {
	r     io.ReaderAt
	size  int64
	order binary.ByteOrder
	magic []byte
	ifds  []int64
}

// tiffIFD is what Split reads from one IFD.
type tiffIFD struct {
	width, height, compression, photometric int
	samples, bits, planar                   int
	t4Options                               int
	tiled                                   bool
	dpi                                     float64
	off                                     int64
}

func openTIFF(f *os.File, fe fileError, opts Options) (*tiffFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat input: %w", err)
	}
	t := &tiffFile{r: f, size: st.Size()}
	hdr := make([]byte, 8)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, fe.new(Corrupt, 0, fmt.Errorf("read tiff header: %w", err))
	}
	t.order = binary.ByteOrder(binary.LittleEndian)
	if hdr[0] == 'M' {
		t.order = binary.BigEndian
	}
	t.magic = hdr[:4]
	seen := map[int64]bool{}
	for off := int64(t.order.Uint32(hdr[4:])); off != 0; {
		if seen[off] || len(t.ifds) >= maxIFDs {
			return nil, fe.new(Corrupt, 0, errors.New("tiff: IFD chain loops"))
		}
		seen[off] = true
		b := make([]byte, 2)
		if _, err := t.r.ReadAt(b, off); err != nil {
			return nil, fe.new(Corrupt, len(t.ifds)+1, fmt.Errorf("tiff: IFD at %d is outside the file", off))
		}
		n := int64(t.order.Uint16(b))
		next := make([]byte, 4)
		if _, err := t.r.ReadAt(next, off+2+12*n); err != nil {
			return nil, fe.new(Corrupt, len(t.ifds)+1, fmt.Errorf("tiff: IFD at %d is truncated", off))
		}
		t.ifds = append(t.ifds, off)
		off = int64(t.order.Uint32(next))
	}
	if len(t.ifds) == 0 {
		return nil, fe.new(NoPages, 0, errors.New("tiff has no IFD"))
	}
	if len(t.ifds) > opts.MaxPages {
		return nil, fe.new(TooLarge, 0, &pageCountError{pages: len(t.ifds), max: opts.MaxPages})
	}
	return t, nil
}

// entry is one raw IFD entry.
type entry struct {
	tag, typ int
	count    int64
	value    []byte // the 4 inline bytes
}

var typeSize = map[int]int64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// data returns the bytes of e's values, at most max bytes.
func (t *tiffFile) data(e entry, max int64) ([]byte, error) {
	sz, ok := typeSize[e.typ]
	if !ok {
		return nil, fmt.Errorf("tiff: tag %d has unknown type %d", e.tag, e.typ)
	}
	n := sz * e.count
	if n < 0 || n > max {
		return nil, fmt.Errorf("tiff: tag %d has %d bytes of values", e.tag, n)
	}
	if n <= 4 {
		return e.value[:n], nil
	}
	b := make([]byte, n)
	if _, err := t.r.ReadAt(b, int64(t.order.Uint32(e.value))); err != nil {
		return nil, fmt.Errorf("tiff: read tag %d: %w", e.tag, err)
	}
	return b, nil
}

// ints returns e's values as integers (BYTE, SHORT or LONG), at most max
// of them.
func (t *tiffFile) ints(e entry, max int64) ([]int64, error) {
	if e.count > max {
		return nil, fmt.Errorf("tiff: tag %d has %d values", e.tag, e.count)
	}
	b, err := t.data(e, 8*max)
	if err != nil {
		return nil, err
	}
	v := make([]int64, 0, e.count)
	for i := int64(0); i < e.count; i++ {
		switch e.typ {
		case 1, 7:
			v = append(v, int64(b[i]))
		case 3:
			v = append(v, int64(t.order.Uint16(b[2*i:])))
		case 4:
			v = append(v, int64(t.order.Uint32(b[4*i:])))
		default:
			return nil, fmt.Errorf("tiff: tag %d is not an integer", e.tag)
		}
	}
	return v, nil
}

func (t *tiffFile) entries(off int64) (map[int]entry, error) {
	b := make([]byte, 2)
	if _, err := t.r.ReadAt(b, off); err != nil {
		return nil, err
	}
	n := int(t.order.Uint16(b))
	b = make([]byte, 12*n)
	if _, err := t.r.ReadAt(b, off+2); err != nil {
		return nil, err
	}
	es := make(map[int]entry, n)
	for i := 0; i < n; i++ {
		p := b[12*i:]
		e := entry{tag: int(t.order.Uint16(p)), typ: int(t.order.Uint16(p[2:])), count: int64(t.order.Uint32(p[4:])), value: p[8:12]}
		es[e.tag] = e
	}
	return es, nil
}

func (t *tiffFile) readIFD(off int64) (tiffIFD, map[int]entry, error) {
	d := tiffIFD{compression: compNone, samples: 1, bits: 1, planar: 1, photometric: -1, off: off}
	es, err := t.entries(off)
	if err != nil {
		return d, nil, err
	}
	first := func(tag int, def int) (int, error) {
		e, ok := es[tag]
		if !ok || e.count == 0 {
			return def, nil
		}
		v, err := t.ints(entry{tag: e.tag, typ: e.typ, count: 1, value: e.value}, 1)
		if e.count > 1 && err == nil {
			// Values beyond four bytes live elsewhere: read them all
			// (BitsPerSample has one per sample) and keep the first.
			var all []int64
			if all, err = t.ints(e, 16); err == nil {
				v = all[:1]
			}
		}
		if err != nil {
			return 0, err
		}
		return int(v[0]), nil
	}
	for _, f := range []struct {
		tag int
		def int
		dst *int
	}{
		{tagImageWidth, 0, &d.width}, {tagImageLength, 0, &d.height},
		{tagCompression, compNone, &d.compression}, {tagPhotometric, -1, &d.photometric},
		{tagSamplesPerPixel, 1, &d.samples}, {tagBitsPerSample, 1, &d.bits},
		{tagPlanarConfig, 1, &d.planar}, {tagT4Options, 0, &d.t4Options},
	} {
		if *f.dst, err = first(f.tag, f.def); err != nil {
			return d, nil, err
		}
	}
	_, d.tiled = es[tagTileWidth]
	if e, ok := es[tagXResolution]; ok && e.typ == 5 && e.count == 1 {
		b, err := t.data(e, 8)
		if err == nil && t.order.Uint32(b[4:]) != 0 {
			res := float64(t.order.Uint32(b)) / float64(t.order.Uint32(b[4:]))
			unit, _ := first(tagResolutionUnit, 2)
			switch unit {
			case 2:
				d.dpi = math.Round(res*10) / 10
			case 3:
				d.dpi = math.Round(res*2.54*10) / 10
			}
		}
	}
	return d, es, nil
}

func splitTIFF(ctx context.Context, f *os.File, fe fileError, opts Options, fn func(Page) error) error {
	t, err := openTIFF(f, fe, opts)
	if err != nil {
		return err
	}
	for i, off := range t.ifds {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := t.page(off, opts)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return err
			}
			var se *sizeError
			var ue tiff.UnsupportedError
			switch {
			case errors.As(err, &se):
				return fe.new(TooLarge, i+1, err)
			case errors.As(err, &ue), errors.Is(err, errUnsupportedTIFF):
				return fe.new(Unsupported, i+1, err)
			}
			return fe.new(Corrupt, i+1, err)
		}
		if err := fn(Page{N: i + 1, Image: img}); err != nil {
			return err
		}
	}
	return nil
}

var errUnsupportedTIFF = errors.New("tiff: unsupported")

// page decodes the page at IFD offset off.
func (t *tiffFile) page(off int64, opts Options) (ocr.Image, error) {
	d, es, err := t.readIFD(off)
	if err != nil {
		return ocr.Image{}, err
	}
	if err := checkPixels(d.width, d.height, opts.MaxPixels); err != nil {
		return ocr.Image{}, err
	}
	switch d.compression {
	case compNone, compG4, compLZW, compDeflate, compDeflate2, compPackBits:
	case compG3:
		if d.t4Options&1 != 0 {
			return ocr.Image{}, fmt.Errorf("%w: 2-D CCITT Group 3 compression", errUnsupportedTIFF)
		}
	case compJPEG:
		return t.jpegPage(d, es, opts)
	default:
		return ocr.Image{}, fmt.Errorf("%w: compression %d", errUnsupportedTIFF, d.compression)
	}
	var hdr [8]byte
	copy(hdr[:4], t.magic)
	t.order.PutUint32(hdr[4:], uint32(off))
	m, err := tiff.Decode(io.NewSectionReader(headerAt{t.r, hdr}, 0, t.size))
	if err != nil {
		return ocr.Image{}, err
	}
	bilevel := d.bits == 1 && d.samples == 1 && (d.photometric == 0 || d.photometric == 1)
	if g, ok := m.(*image.Gray); ok && bilevel && d.photometric == 1 && (d.compression == compG3 || d.compression == compG4) {
		// libtiff, which writes and reads nearly every fax TIFF (and which
		// leptonica uses), decodes coded-white runs to 0 bits whatever the
		// photometric; x/image/tiff decodes them to white. For
		// BlackIsZero files the two disagree: follow libtiff.
		for i := range g.Pix {
			g.Pix[i] = ^g.Pix[i]
		}
	}
	b := m.Bounds()
	return ocr.Image{Data: encodePNM(m, bilevel), Format: "pnm", Width: b.Dx(), Height: b.Dy(), DPI: d.dpi}, nil
}

// headerAt reads r with its first 8 bytes replaced by hdr.
type headerAt struct {
	r   io.ReaderAt
	hdr [8]byte
}

func (h headerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := h.r.ReadAt(p, off)
	for i := 0; i < n && off+int64(i) < 8; i++ {
		p[i] = h.hdr[off+int64(i)]
	}
	return n, err
}

// jpegPage reads a JPEG-compressed (compression 7) page. A page stored as
// one strip is a complete JPEG once the shared tables are put back, and is
// passed through without re-encoding; a page in several strips is decoded
// strip by strip into PNM.
func (t *tiffFile) jpegPage(d tiffIFD, es map[int]entry, opts Options) (ocr.Image, error) {
	if d.tiled || d.planar != 1 {
		return ocr.Image{}, fmt.Errorf("%w: tiled or planar JPEG", errUnsupportedTIFF)
	}
	if !(d.samples == 1 && (d.photometric == 0 || d.photometric == 1)) && !(d.samples == 3 && d.photometric == 6) {
		return ocr.Image{}, fmt.Errorf("%w: JPEG with photometric %d and %d samples", errUnsupportedTIFF, d.photometric, d.samples)
	}
	var tables []byte
	if e, ok := es[tagJPEGTables]; ok {
		var err error
		if tables, err = t.data(e, 1<<16); err != nil {
			return ocr.Image{}, err
		}
	}
	offs, err := t.ints(es[tagStripOffsets], int64(d.height))
	if err != nil {
		return ocr.Image{}, err
	}
	counts, err := t.ints(es[tagStripByteCounts], int64(d.height))
	if err != nil || len(counts) != len(offs) || len(offs) == 0 {
		return ocr.Image{}, fmt.Errorf("tiff: strip offsets and byte counts disagree: %v", err)
	}
	strips := make([][]byte, len(offs))
	var total int64
	for i := range offs {
		total += counts[i]
		if counts[i] < 4 || total > 8*int64(d.width)*int64(d.height)+1<<20 {
			return ocr.Image{}, errors.New("tiff: JPEG strip sizes are implausible")
		}
		s := make([]byte, counts[i])
		if _, err := t.r.ReadAt(s, offs[i]); err != nil {
			return ocr.Image{}, fmt.Errorf("tiff: read strip %d: %w", i, err)
		}
		strips[i] = withTables(tables, s)
	}
	if len(strips) == 1 {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(strips[0]))
		if err != nil {
			return ocr.Image{}, err
		}
		if cfg.Width != d.width || cfg.Height != d.height {
			return ocr.Image{}, fmt.Errorf("tiff: JPEG strip is %d×%d, page is %d×%d", cfg.Width, cfg.Height, d.width, d.height)
		}
		return ocr.Image{Data: strips[0], Format: "jpeg", Width: d.width, Height: d.height, DPI: d.dpi}, nil
	}
	var dst draw.Image = image.NewRGBA(image.Rect(0, 0, d.width, d.height))
	if d.samples == 1 {
		dst = image.NewGray(dst.Bounds())
	}
	y := 0
	for i, s := range strips {
		m, err := jpeg.Decode(bytes.NewReader(s))
		if err != nil {
			return ocr.Image{}, fmt.Errorf("tiff: decode JPEG strip %d: %w", i, err)
		}
		draw.Draw(dst, m.Bounds().Add(image.Pt(0, y)), m, m.Bounds().Min, draw.Src)
		y += m.Bounds().Dy()
	}
	return ocr.Image{Data: encodePNM(dst, false), Format: "pnm", Width: d.width, Height: d.height, DPI: d.dpi}, nil
}

// withTables makes an abbreviated JPEG strip complete by putting the
// JPEGTables (SOI, tables, EOI) in front of it.
func withTables(tables, strip []byte) []byte {
	if len(tables) < 4 || !bytes.HasPrefix(tables, []byte{0xff, 0xd8}) || !bytes.HasSuffix(tables, []byte{0xff, 0xd9}) ||
		!bytes.HasPrefix(strip, []byte{0xff, 0xd8}) {
		return strip
	}
	out := make([]byte, 0, len(tables)+len(strip))
	out = append(out, tables[:len(tables)-2]...)
	return append(out, strip[2:]...)
}
