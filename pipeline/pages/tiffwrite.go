package pages

import (
	"encoding/binary"
	"math"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// ccittToTIFF wraps the CCITT Group 4 data of a PDF image in a minimal
// single-page TIFF, so OCR engines (leptonica/libtiff) read it without the
// image being decoded and re-encoded. ok is false for parameters a TIFF
// cannot express the same way (Group 3, byte-aligned rows, a Rows or
// Columns that disagree with the image size): such pages are rendered.
func ccittToTIFF(data []byte, width, height int, parms types.Dict, inverted bool, dpi float64) ([]byte, bool) {
	intParm := func(k string, def int) int {
		if parms != nil {
			if v := parms.IntEntry(k); v != nil {
				return *v
			}
		}
		return def
	}
	boolParm := func(k string) bool {
		if parms != nil {
			if v := parms.BooleanEntry(k); v != nil {
				return *v
			}
		}
		return false
	}
	if intParm("K", 0) >= 0 || boolParm("EncodedByteAlign") || intParm("Columns", 1728) != width {
		return nil, false
	}
	if rows := intParm("Rows", 0); rows != 0 && rows != height {
		return nil, false
	}
	// libtiff decodes coded-black runs to 1 bits; with WhiteIsZero they
	// show black, as they do in a PDF with BlackIs1 false. BlackIs1 true
	// or a [1 0] Decode array each swap what shows.
	photometric := 0
	if boolParm("BlackIs1") != inverted {
		photometric = 1
	}
	tags := []tiffTag{
		{tagImageWidth, 4, []uint32{uint32(width)}},
		{tagImageLength, 4, []uint32{uint32(height)}},
		{tagBitsPerSample, 3, []uint32{1}},
		{tagCompression, 3, []uint32{compG4}},
		{tagPhotometric, 3, []uint32{uint32(photometric)}},
		{tagSamplesPerPixel, 3, []uint32{1}},
		{tagRowsPerStrip, 4, []uint32{uint32(height)}},
		{tagStripByteCounts, 4, []uint32{uint32(len(data))}},
		{tagT6Options, 4, []uint32{0}},
	}
	if dpi > 0 {
		num := uint32(math.Round(dpi * 100))
		tags = append(tags,
			tiffTag{tagXResolution, 5, []uint32{num, 100}},
			tiffTag{tagYResolution, 5, []uint32{num, 100}},
			tiffTag{tagResolutionUnit, 3, []uint32{2}})
	}
	return writeTIFF(tags, data), true
}

// tiffTag is one IFD entry for writeTIFF: typ 3 (SHORT), 4 (LONG) or 5
// (RATIONAL, values in numerator/denominator pairs).
type tiffTag struct {
	tag, typ int
	values   []uint32
}

// writeTIFF writes a little-endian single-page, single-strip TIFF: header,
// IFD, out-of-line values, then the strip. The StripOffsets tag is added.
func writeTIFF(tags []tiffTag, strip []byte) []byte {
	tags = append(tags, tiffTag{tagStripOffsets, 4, []uint32{0}})
	sort.Slice(tags, func(i, j int) bool { return tags[i].tag < tags[j].tag })
	le := binary.LittleEndian
	ifdSize := 2 + 12*len(tags) + 4
	extra := 0
	for _, t := range tags {
		if n := valueSize(t); n > 4 {
			extra += n
		}
	}
	stripOff := 8 + ifdSize + extra
	for i := range tags {
		if tags[i].tag == tagStripOffsets {
			tags[i].values[0] = uint32(stripOff)
		}
	}
	out := make([]byte, 8, stripOff+len(strip))
	copy(out, "II*\x00")
	le.PutUint32(out[4:], 8)
	out = le.AppendUint16(out, uint16(len(tags)))
	extraOff := 8 + ifdSize
	var extraBuf []byte
	for _, t := range tags {
		out = le.AppendUint16(out, uint16(t.tag))
		out = le.AppendUint16(out, uint16(t.typ))
		count := len(t.values)
		if t.typ == 5 {
			count /= 2
		}
		out = le.AppendUint32(out, uint32(count))
		var val []byte
		for _, v := range t.values {
			if t.typ == 3 {
				val = le.AppendUint16(val, uint16(v))
			} else {
				val = le.AppendUint32(val, v)
			}
		}
		if len(val) <= 4 {
			val = append(val, make([]byte, 4-len(val))...)
			out = append(out, val...)
		} else {
			out = le.AppendUint32(out, uint32(extraOff+len(extraBuf)))
			extraBuf = append(extraBuf, val...)
		}
	}
	out = le.AppendUint32(out, 0) // no next IFD
	out = append(out, extraBuf...)
	return append(out, strip...)
}

func valueSize(t tiffTag) int {
	if t.typ == 3 {
		return 2 * len(t.values)
	}
	return 4 * len(t.values)
}
