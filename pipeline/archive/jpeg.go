package archive

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// jpegHeader is what the PDF needs to know about a JPEG file to embed it
// unchanged with DCTDecode.
type jpegHeader struct {
	width, height, components int
	dpiX, dpiY                float64
	// adobe is set when the file has an Adobe APP14 marker. Adobe
	// applications write CMYK JPEGs with inverted samples and mark them so.
	adobe bool
}

// parseJPEG reads the markers before the first scan. It accepts baseline
// and progressive Huffman-coded JPEGs with 8-bit samples, the kinds that
// PDF's DCTDecode filter reads everywhere.
func parseJPEG(data []byte) (jpegHeader, error) {
	var h jpegHeader
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return h, fmt.Errorf("no JPEG start marker")
	}
	jfif := false
	for i := 2; ; {
		// Markers may be preceded by fill bytes 0xFF.
		for i < len(data) && data[i] == 0xff && i+1 < len(data) && data[i+1] == 0xff {
			i++
		}
		if i+4 > len(data) || data[i] != 0xff {
			return h, fmt.Errorf("JPEG ends before its frame header")
		}
		marker := data[i+1]
		if marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			i += 2 // markers without a length
			continue
		}
		length := int(binary.BigEndian.Uint16(data[i+2:]))
		if length < 2 || i+2+length > len(data) {
			return h, fmt.Errorf("JPEG marker %02X has a bad length", marker)
		}
		seg := data[i+4 : i+2+length]
		switch {
		case marker == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")) && len(seg) >= 12:
			jfif = true
			h.dpiX, h.dpiY = density(seg[7], binary.BigEndian.Uint16(seg[8:]), binary.BigEndian.Uint16(seg[10:]))
		case marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) && !jfif:
			// JFIF density wins when both are present; EXIF is what many
			// scanners and cameras write instead.
			if x, y, ok := tiffResolution(seg[6:]); ok {
				h.dpiX, h.dpiY = x, y
			}
		case marker == 0xee && bytes.HasPrefix(seg, []byte("Adobe")):
			h.adobe = true
		case marker == 0xc0 || marker == 0xc1 || marker == 0xc2:
			if len(seg) < 6 {
				return h, fmt.Errorf("JPEG frame header is too short")
			}
			if seg[0] != 8 {
				return h, fmt.Errorf("JPEG has %d-bit samples; only 8-bit JPEG can be embedded", seg[0])
			}
			h.height = int(binary.BigEndian.Uint16(seg[1:]))
			h.width = int(binary.BigEndian.Uint16(seg[3:]))
			h.components = int(seg[5])
			if h.width == 0 || h.height == 0 {
				return h, fmt.Errorf("JPEG frame header gives no size")
			}
			switch h.components {
			case 1, 3, 4:
			default:
				return h, fmt.Errorf("JPEG has %d colour components", h.components)
			}
			return h, nil
		case marker >= 0xc3 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			return h, fmt.Errorf("JPEG uses lossless or arithmetic coding (marker %02X), which PDF readers do not decode", marker)
		case marker == 0xda:
			return h, fmt.Errorf("JPEG scan starts before its frame header")
		}
		i += 2 + length
	}
}

// density turns a JFIF or PNG density into dots per inch; unit 1 is per
// inch, 2 per centimetre, anything else only an aspect ratio.
func density(unit byte, x, y uint16) (float64, float64) {
	switch unit {
	case 1:
		return float64(x), float64(y)
	case 2:
		return float64(x) * 2.54, float64(y) * 2.54
	}
	return 0, 0
}

// tiffResolution reads XResolution, YResolution and ResolutionUnit from the
// first image file directory of a TIFF stream (a TIFF file, or the EXIF
// block of a JPEG). ok is false when the stream gives no usable resolution.
func tiffResolution(data []byte) (dpiX, dpiY float64, ok bool) {
	if len(data) < 8 {
		return 0, 0, false
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0, 0, false
	}
	ifd := int(order.Uint32(data[4:]))
	if ifd < 8 || ifd+2 > len(data) {
		return 0, 0, false
	}
	rational := func(entry []byte) float64 {
		// Type 5 is RATIONAL: two LONGs at the offset in the entry.
		if order.Uint16(entry[2:]) != 5 {
			return 0
		}
		off := int(order.Uint32(entry[8:]))
		if off < 0 || off+8 > len(data) {
			return 0
		}
		num, den := order.Uint32(data[off:]), order.Uint32(data[off+4:])
		if den == 0 {
			return 0
		}
		return float64(num) / float64(den)
	}
	unit := 2 // inches, TIFF's default
	n := int(order.Uint16(data[ifd:]))
	for k := 0; k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(data) {
			break
		}
		entry := data[e : e+12]
		switch order.Uint16(entry) {
		case 282:
			dpiX = rational(entry)
		case 283:
			dpiY = rational(entry)
		case 296:
			if order.Uint16(entry[2:]) == 3 { // SHORT
				unit = int(order.Uint16(entry[8:]))
			}
		}
	}
	switch unit {
	case 2:
	case 3:
		dpiX, dpiY = dpiX*2.54, dpiY*2.54
	default:
		return 0, 0, false
	}
	if dpiX <= 0 || dpiY <= 0 {
		return 0, 0, false
	}
	return dpiX, dpiY, true
}
