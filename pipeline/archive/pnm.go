package archive

import (
	"fmt"
	"image"

	"sohoa/pipeline/netpbm"
)

// pnmPage reads a Netpbm file's samples as they are when it can, and
// otherwise decodes it.
func pnmPage(data []byte) (pageImage, error) {
	r, ok, err := pnmRaster(data)
	if err == nil && !ok {
		var decoded image.Image
		if decoded, err = netpbm.Decode(data); err == nil {
			r = newRaster(decoded)
		}
	}
	if err != nil {
		return pageImage{}, fmt.Errorf("decode pnm image: %w", err)
	}
	return rasterPage(pageImage{}, r), nil
}

// pnmRaster reads a raw Netpbm file whose samples are already laid out as
// PDF's: a bitmap (P4, with 1 for black where PDF has 1 for white), or a
// graymap or pixmap (P5, P6) whose maxval is 255 or 65535. Rows are taken
// from the file as they are. ok is false for the other kinds (plain text,
// other maxvals), which decodePNM decodes.
func pnmRaster(data []byte) (r *raster, ok bool, err error) {
	if len(data) < 3 || data[0] != 'P' || data[1] < '4' || data[1] > '6' {
		return nil, false, nil
	}
	h, err := netpbm.ParseHeader(data)
	if err != nil || (h.Kind != '4' && h.Maxval != 255 && h.Maxval != 65535) {
		return nil, false, nil // netpbm.Decode says what is wrong
	}
	kind, width, height, maxval, start := h.Kind, h.Width, h.Height, h.Maxval, h.Start
	channels, sampleBytes := 1, 1
	if kind == '6' {
		channels = 3
	}
	if maxval == 65535 {
		sampleBytes = 2
	}
	rowBytes := width * channels * sampleBytes
	if kind == '4' {
		rowBytes = (width + 7) / 8
	}
	if len(data)-start < rowBytes*height {
		return nil, false, fmt.Errorf("Netpbm data is truncated")
	}
	rows := func(y int, _ []byte) []byte {
		return data[start+y*rowBytes:][:rowBytes]
	}
	switch {
	case kind == '4':
		// Bits past the width are cleared, as decoding would leave them.
		pad := byte(0xff) << ((8 - width%8) % 8)
		return &raster{width, height, kindBilevel, func(y int, buf []byte) []byte {
			for i, v := range rows(y, nil) {
				buf[i] = ^v
			}
			buf[len(buf)-1] &= pad
			return buf
		}}, true, nil
	case maxval == 65535 && channels == 1:
		return &raster{width, height, kindGray16, rows}, true, nil
	case maxval == 65535:
		return &raster{width, height, kindRGB16, rows}, true, nil
	}
	return raster8(rows8{width, height, channels, rows}), true, nil
}
