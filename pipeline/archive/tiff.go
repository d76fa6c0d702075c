package archive

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"

	"golang.org/x/image/tiff"
)

// TIFF tags read here.
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagFillOrder       = 266
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagT6Options       = 293
	tagTileWidth       = 322
	tagTileOffsets     = 324

	compressionG3 = 3
	compressionG4 = 4
)

// tiffDir is the first image file directory of a TIFF file: for each tag
// that has one SHORT or LONG value, that value. Other tags are listed
// with ok false, so that their presence can be seen.
type tiffDir struct {
	values map[uint16]tiffValue
	// more is set when the file has another page after this one.
	more bool
}

type tiffValue struct {
	v  uint32
	ok bool
}

// get returns a tag's value, def when the tag is absent, and ok false when
// the tag does not have a single SHORT or LONG value.
func (d tiffDir) get(tag uint16, def uint32) (uint32, bool) {
	e, present := d.values[tag]
	if !present {
		return def, true
	}
	return e.v, e.ok
}

// readTIFFDir reads the first IFD. ok is false when the file is not a TIFF
// or its IFD does not fit in it, or names a tag twice.
func readTIFFDir(data []byte) (d tiffDir, ok bool) {
	if len(data) < 8 {
		return d, false
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return d, false
	}
	ifd := uint64(order.Uint32(data[4:]))
	if ifd < 8 || ifd+2 > uint64(len(data)) {
		return d, false
	}
	n := uint64(order.Uint16(data[ifd:]))
	end := ifd + 2 + 12*n
	if end+4 > uint64(len(data)) {
		return d, false
	}
	d.values = make(map[uint16]tiffValue, n)
	for e := data[ifd+2 : end]; len(e) >= 12; e = e[12:] {
		tag, typ, count := order.Uint16(e), order.Uint16(e[2:]), order.Uint32(e[4:])
		if _, dup := d.values[tag]; dup {
			return d, false
		}
		var v tiffValue
		switch {
		case count == 1 && typ == 3: // SHORT, left-justified
			v = tiffValue{uint32(order.Uint16(e[8:])), true}
		case count == 1 && typ == 4: // LONG
			v = tiffValue{order.Uint32(e[8:]), true}
		}
		d.values[tag] = v
	}
	d.more = order.Uint32(data[end:]) != 0
	return d, true
}

// faxPage is a TIFF page PDF's CCITTFaxDecode filter reads as it is: one
// strip of CCITT Group 4 data, as fax software writes and as the pages
// package wraps a PDF's fax image.
type faxPage struct {
	width, height int
	// blackIsZero is photometric interpretation 1. libtiff, which reads
	// fax TIFFs for Tesseract and nearly every other program, decodes
	// white-coded runs to 0 bits whatever the photometric, so with
	// BlackIsZero they show black.
	blackIsZero bool
	strip       []byte
}

// readFaxTIFF returns the page of a TIFF file that holds one single-strip
// Group 4 page with nothing PDF's filter cannot express: bits in the usual
// order and no uncompressed mode. ok is false for any other TIFF, which is
// decoded instead. The coded data is not decoded here: it is what the
// source PDF or the scanner holds, and what OCR has read.
func readFaxTIFF(data []byte) (f faxPage, ok bool) {
	d, ok := readTIFFDir(data)
	if !ok || d.more {
		return f, false
	}
	if _, tiled := d.values[tagTileWidth]; tiled {
		return f, false
	}
	if _, tiled := d.values[tagTileOffsets]; tiled {
		return f, false
	}
	odd := false // a tag with other than one SHORT or LONG value
	get := func(tag uint16, def uint32) uint32 {
		v, ok := d.get(tag, def)
		odd = odd || !ok
		return v
	}
	width, height := get(tagImageWidth, 0), get(tagImageLength, 0)
	bits, samples := get(tagBitsPerSample, 1), get(tagSamplesPerPixel, 1)
	compression := get(tagCompression, 1)
	photometric := get(tagPhotometric, 2) // required; 2 is RGB
	fillOrder, t6 := get(tagFillOrder, 1), get(tagT6Options, 0)
	rowsPerStrip := get(tagRowsPerStrip, 1<<32-1)
	offset, count := get(tagStripOffsets, 0), get(tagStripByteCounts, 0)
	switch {
	case odd,
		width == 0 || height == 0 || width > 1<<20 || height > 1<<20,
		compression != compressionG4 || bits != 1 || samples != 1 || photometric > 1,
		fillOrder != 1, // PDF reads the most significant bit first
		t6&2 != 0,      // uncompressed mode, which PDF readers need not read
		rowsPerStrip < height,
		count == 0 || uint64(offset)+uint64(count) > uint64(len(data)):
		return f, false
	}
	return faxPage{
		width:       int(width),
		height:      int(height),
		blackIsZero: photometric == 1,
		strip:       data[offset : offset+count],
	}, true
}

// dict returns the image dictionary entries for the strip. Rows with
// EndOfBlock false makes readers stop after the last row whether or not
// the data ends with an end-of-block code. BlackIs1 true turns
// white-coded runs into 0 bits, black in DeviceGray.
func (f faxPage) dict() string {
	return fmt.Sprintf(" /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode"+
		" /DecodeParms <</K -1 /Columns %d /Rows %d /EndOfBlock false /BlackIs1 %t>>",
		f.width, f.height, f.blackIsZero)
}

// tiffPage embeds a single-strip Group 4 page as it is and decodes any
// other TIFF.
func tiffPage(data []byte) (pageImage, error) {
	var p pageImage
	p.dpiX, p.dpiY, _ = tiffResolution(data)
	if f, ok := readFaxTIFF(data); ok {
		p.width, p.height, p.dict, p.raw = f.width, f.height, f.dict(), [][]byte{f.strip}
		return p, nil
	}
	m, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		return p, fmt.Errorf("decode tiff image: %w", err)
	}
	if g, ok := m.(*image.Gray); ok && isBlackIsZeroFax(data) {
		// x/image/tiff decodes white-coded runs to white; follow libtiff
		// (see faxPage.blackIsZero), as the embedded strips do.
		for i := range g.Pix {
			g.Pix[i] = ^g.Pix[i]
		}
	}
	return rasterPage(p, newRaster(m)), nil
}

// isBlackIsZeroFax reports whether a TIFF's first page is CCITT-coded
// with photometric interpretation BlackIsZero.
func isBlackIsZeroFax(data []byte) bool {
	d, ok := readTIFFDir(data)
	if !ok {
		return false
	}
	compression, ok1 := d.get(tagCompression, 1)
	photometric, ok2 := d.get(tagPhotometric, 0)
	return ok1 && ok2 && (compression == compressionG3 || compression == compressionG4) && photometric == 1
}
