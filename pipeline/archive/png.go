package archive

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image/png"
)

// pngFile is what a PNG file's chunks say, read without decoding the
// image.
type pngFile struct {
	width, height     int
	depth, colourType int
	compression       byte // of the image data: 0 is zlib
	filterMethod      byte // 0 is the five PNG row filters
	interlaced        bool
	palette           []byte // the PLTE chunk's body
	transparency      bool   // a tRNS chunk
	// idat holds the IDAT chunks' bodies, which make one zlib stream.
	idat [][]byte
	// ordered is false when the chunks are out of the order the
	// specification asks for: the decoder is left to judge those files.
	ordered    bool
	dpiX, dpiY float64
}

// readPNG walks a PNG file's chunks up to IEND and checks every CRC, as a
// decoder does, so a damaged file is refused here as it would be there.
// The image data is not decompressed.
func readPNG(data []byte) (pngFile, error) {
	f := pngFile{ordered: true}
	if !bytes.HasPrefix(data, pngSignature) {
		return f, png.FormatError("not a PNG file")
	}
	seen := map[string]bool{}
	last := ""
	for i := len(pngSignature); ; {
		if i+8 > len(data) {
			return f, png.FormatError(fmt.Sprintf("file ends at byte %d, before the IEND chunk: it is cut short; copy or scan it again", len(data)))
		}
		n := binary.BigEndian.Uint32(data[i:])
		kind := string(data[i+4 : i+8])
		if n > 0x7fffffff || uint64(i)+12+uint64(n) > uint64(len(data)) {
			return f, png.FormatError(fmt.Sprintf("chunk %q at byte %d runs past the end of the file: it is cut short; copy or scan it again", kind, i))
		}
		body := data[i+8 : i+8+int(n)]
		if crc32.ChecksumIEEE(data[i+4:i+8+int(n)]) != binary.BigEndian.Uint32(data[i+8+int(n):]) {
			return f, png.FormatError(fmt.Sprintf("chunk %q at byte %d fails its CRC: the file is damaged; copy or scan it again", kind, i))
		}
		if i == len(pngSignature) && (kind != "IHDR" || n != 13) {
			return f, png.FormatError("file does not start with an image header")
		}
		switch kind {
		case "IHDR":
			if seen[kind] {
				f.ordered = false
				break
			}
			f.width = int(binary.BigEndian.Uint32(body))
			f.height = int(binary.BigEndian.Uint32(body[4:]))
			f.depth, f.colourType = int(body[8]), int(body[9])
			f.compression, f.filterMethod = body[10], body[11]
			f.interlaced = body[12] != 0
		case "PLTE":
			if seen[kind] || seen["IDAT"] {
				f.ordered = false
			}
			f.palette = body
		case "tRNS":
			f.transparency = true
		case "IDAT":
			if seen[kind] && last != kind {
				f.ordered = false // IDAT chunks must follow one another
			}
			f.idat = append(f.idat, body)
		case "pHYs":
			if n == 9 && body[8] == 1 { // pixels per metre
				ppmX, ppmY := binary.BigEndian.Uint32(body), binary.BigEndian.Uint32(body[4:])
				f.dpiX, f.dpiY = metricDPI(float64(ppmX)*0.0254), metricDPI(float64(ppmY)*0.0254)
			}
		case "IEND":
			if len(f.idat) == 0 {
				return f, png.FormatError("file has no image data (IDAT chunk)")
			}
			return f, nil
		}
		seen[kind], last = true, kind
		i += 12 + int(n)
	}
}

// embeddable reports whether PDF can hold the image data as it is. The
// PNG row filters are PDF's Predictor 15, and grey, colour and palette
// samples are PDF's DeviceGray, DeviceRGB and Indexed samples bit for bit.
// Alpha and transparency must be flattened onto white and interlaced rows
// put back in order, so those files are decoded.
func (f pngFile) embeddable() bool {
	if !f.ordered || f.interlaced || f.transparency || f.compression != 0 || f.filterMethod != 0 ||
		f.width <= 0 || f.height <= 0 {
		return false
	}
	switch f.colourType {
	case 0:
		return f.palette == nil && (f.depth == 1 || f.depth == 2 || f.depth == 4 || f.depth == 8 || f.depth == 16)
	case 2:
		return f.depth == 8 || f.depth == 16
	case 3:
		entries := len(f.palette) / 3
		return (f.depth == 1 || f.depth == 2 || f.depth == 4 || f.depth == 8) &&
			len(f.palette)%3 == 0 && entries > 0 && entries <= 1<<f.depth
	}
	return false
}

// dict returns the image dictionary entries for the image data.
func (f pngFile) dict() string {
	var space string
	colours := 1
	switch f.colourType {
	case 0:
		space = "/DeviceGray"
	case 2:
		space, colours = "/DeviceRGB", 3
	case 3:
		// Indices past the palette show black, as PNG decoders do, so the
		// lookup table is filled up to the largest index with black.
		lookup := make([]byte, 3<<f.depth)
		copy(lookup, f.palette)
		space = fmt.Sprintf("[/Indexed /DeviceRGB %d <%X>]", 1<<f.depth-1, lookup)
	}
	return fmt.Sprintf(" /ColorSpace %s /BitsPerComponent %d /Filter /FlateDecode"+
		" /DecodeParms <</Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d>>",
		space, f.depth, colours, f.depth, f.width)
}

// checkZlibHeader checks the image data starts as a zlib stream that PDF's
// FlateDecode reads: deflate, a window of at most 32 KiB, no preset
// dictionary, a valid header checksum. The stream is not decompressed:
// the chunks' CRCs already show the bytes are the ones the encoder wrote.
func (f pngFile) checkZlibHeader() error {
	var head []byte
	size := 0
	for _, b := range f.idat {
		if len(head) < 2 {
			head = append(head, b[:min(len(b), 2-len(head))]...)
		}
		size += len(b)
	}
	// Two header bytes, at least one of deflate data, four of Adler-32.
	if size < 7 {
		return png.FormatError("image data is too short to be a zlib stream")
	}
	cmf, flg := head[0], head[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || flg&0x20 != 0 || (uint16(cmf)<<8|uint16(flg))%31 != 0 {
		return png.FormatError(fmt.Sprintf("image data does not start with a zlib header (%02X %02X): the file is damaged; copy or scan it again", cmf, flg))
	}
	return nil
}

// pngPage embeds a PNG's image data as it is when PDF can hold it, and
// otherwise decodes it.
func pngPage(data []byte) (pageImage, error) {
	var p pageImage
	f, err := readPNG(data)
	if err != nil {
		return p, fmt.Errorf("read png image: %w", err)
	}
	p.dpiX, p.dpiY = f.dpiX, f.dpiY
	if f.embeddable() {
		if err := f.checkZlibHeader(); err != nil {
			return p, fmt.Errorf("read png image: %w", err)
		}
		p.width, p.height, p.dict, p.raw = f.width, f.height, f.dict(), f.idat
		return p, nil
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return p, fmt.Errorf("decode png image: %w", err)
	}
	return rasterPage(p, newRaster(m)), nil
}

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")
