package archive

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// jp2Signature starts every JP2 file (the JPEG 2000 signature box).
var jp2Signature = []byte{0, 0, 0, 0x0c, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a}

// j2kSignature starts a bare JPEG 2000 codestream: SOC then SIZ.
var j2kSignature = []byte{0xff, 0x4f, 0xff, 0x51}

// jp2Header is what the PDF needs to embed a JPEG 2000 image unchanged
// with JPXDecode.
type jp2Header struct {
	width, height, components int
	dpiX, dpiY                float64
	// hasColour is set when a JP2 colour specification box says how to
	// read the samples; a bare codestream needs /ColorSpace in the PDF.
	hasColour bool
}

// parseJP2 reads a JP2 file's header boxes, or the SIZ marker of a bare
// codestream.
func parseJP2(data []byte) (jp2Header, error) {
	var h jp2Header
	if bytes.HasPrefix(data, j2kSignature) {
		return parseJ2KSize(data)
	}
	if !bytes.HasPrefix(data, jp2Signature) {
		return h, fmt.Errorf("no JPEG 2000 signature")
	}
	var walk func(boxes []byte) error
	walk = func(boxes []byte) error {
		for len(boxes) >= 8 {
			size := uint64(binary.BigEndian.Uint32(boxes))
			kind := string(boxes[4:8])
			head := uint64(8)
			switch size {
			case 0: // runs to the end
				size = uint64(len(boxes))
			case 1: // 64-bit size follows
				if len(boxes) < 16 {
					return fmt.Errorf("JPEG 2000 box %q is truncated", kind)
				}
				size, head = binary.BigEndian.Uint64(boxes[8:]), 16
			}
			if size < head || size > uint64(len(boxes)) {
				return fmt.Errorf("JPEG 2000 box %q has a bad size", kind)
			}
			body := boxes[head:size]
			switch kind {
			case "jp2h", "res ":
				if err := walk(body); err != nil {
					return err
				}
			case "ihdr":
				if len(body) < 14 {
					return fmt.Errorf("JPEG 2000 image header is too short")
				}
				h.height = int(binary.BigEndian.Uint32(body))
				h.width = int(binary.BigEndian.Uint32(body[4:]))
				h.components = int(binary.BigEndian.Uint16(body[8:]))
			case "colr":
				h.hasColour = true
			case "resc", "resd":
				// Capture resolution wins over display resolution.
				if x, y, ok := jp2Resolution(body); ok && (kind == "resc" || h.dpiX == 0) {
					h.dpiX, h.dpiY = x, y
				}
			case "jp2c":
				return nil // the codestream: no more header boxes
			}
			boxes = boxes[size:]
		}
		return nil
	}
	if err := walk(data); err != nil {
		return h, err
	}
	if h.width == 0 || h.height == 0 {
		return h, fmt.Errorf("JPEG 2000 file has no image header")
	}
	return h, nil
}

// jp2Resolution reads a resc or resd box: vertical and horizontal grid
// points per metre as numerator, denominator and a power of ten.
func jp2Resolution(b []byte) (dpiX, dpiY float64, ok bool) {
	if len(b) < 10 {
		return 0, 0, false
	}
	ratio := func(n, d uint16, e int8) float64 {
		if d == 0 {
			return 0
		}
		return metricDPI(float64(n) / float64(d) * math.Pow10(int(e)) * 0.0254)
	}
	be := binary.BigEndian
	dpiY = ratio(be.Uint16(b), be.Uint16(b[2:]), int8(b[8]))
	dpiX = ratio(be.Uint16(b[4:]), be.Uint16(b[6:]), int8(b[9]))
	return dpiX, dpiY, dpiX > 0 && dpiY > 0
}

// parseJ2KSize reads the SIZ marker segment of a bare codestream.
func parseJ2KSize(data []byte) (jp2Header, error) {
	var h jp2Header
	// SOC(2) SIZ(2) Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz (4 each) then
	// four more LONGs and Csiz(2).
	if len(data) < 4+2+2+32+2 {
		return h, fmt.Errorf("JPEG 2000 codestream is too short")
	}
	be := binary.BigEndian
	siz := data[6:]
	xsiz, ysiz := be.Uint32(siz[2:]), be.Uint32(siz[6:])
	xo, yo := be.Uint32(siz[10:]), be.Uint32(siz[14:])
	if xsiz <= xo || ysiz <= yo {
		return h, fmt.Errorf("JPEG 2000 codestream gives no size")
	}
	h.width, h.height = int(xsiz-xo), int(ysiz-yo)
	h.components = int(be.Uint16(siz[34:]))
	return h, nil
}
