package archive

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"sohoa/ocr"
)

// ErrUnsupportedImage means a page image is in none of the formats the
// archive can hold: JPEG, PNG, PNM, TIFF or JPEG 2000.
var ErrUnsupportedImage = errors.New("page image is not a JPEG, PNG, PNM, TIFF or JPEG 2000 file")

// defaultDPI is assumed when neither the caller nor the file says how
// finely the page was scanned; 300 dpi is what the scanning rules
// recommend.
const defaultDPI = 300

// pageImage is a page image ready to be written as an image XObject.
type pageImage struct {
	width, height int
	// dpiX and dpiY come from the file header; 0 when it says nothing.
	dpiX, dpiY float64
	// dict holds the image dictionary entries after /Width and /Height.
	dict string
	// raw is the stream data, its parts one after another, when the file's
	// own coding is kept: a JPEG or JPEG 2000 file, a PNG's image data, a
	// TIFF's fax strip. Otherwise raster is compressed losslessly.
	raw    [][]byte
	raster *raster
}

// sniff names the format from the file's first bytes.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case bytes.HasPrefix(data, pngSignature):
		return "png"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	case bytes.HasPrefix(data, jp2Signature), bytes.HasPrefix(data, j2kSignature):
		return "jp2"
	case len(data) > 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6':
		return "pnm"
	}
	return ""
}

// preparePage reads the page image's header and, for images that PDF
// cannot hold as they are, decodes it. The format is taken from the data
// itself; img.Format only names it in errors. The pixel size is the one in
// the file, whatever img.Width and img.Height say.
func preparePage(img ocr.Image) (pageImage, error) {
	var p pageImage
	format := sniff(img.Data)
	switch format {
	case "jpeg":
		h, err := parseJPEG(img.Data)
		if err != nil {
			return p, fmt.Errorf("read JPEG header: %w", err)
		}
		p.width, p.height, p.dpiX, p.dpiY, p.raw = h.width, h.height, h.dpiX, h.dpiY, [][]byte{img.Data}
		switch h.components {
		case 1:
			p.dict = " /ColorSpace /DeviceGray"
		case 3:
			p.dict = " /ColorSpace /DeviceRGB"
		case 4:
			p.dict = " /ColorSpace /DeviceCMYK"
			if h.adobe {
				// Adobe writes CMYK JPEGs with inverted samples.
				p.dict += " /Decode [1 0 1 0 1 0 1 0]"
			}
		}
		p.dict += " /BitsPerComponent 8 /Filter /DCTDecode"
		return p, nil
	case "jp2":
		h, err := parseJP2(img.Data)
		if err != nil {
			return p, fmt.Errorf("read JPEG 2000 header: %w", err)
		}
		p.width, p.height, p.dpiX, p.dpiY, p.raw = h.width, h.height, h.dpiX, h.dpiY, [][]byte{img.Data}
		// JPXDecode takes the colour space and bit depth from the file
		// when it has a colour specification.
		if !h.hasColour {
			switch h.components {
			case 1:
				p.dict = " /ColorSpace /DeviceGray"
			case 3:
				p.dict = " /ColorSpace /DeviceRGB"
			default:
				return p, fmt.Errorf("JPEG 2000 codestream has %d components and no colour specification", h.components)
			}
		}
		p.dict += " /Filter /JPXDecode"
		return p, nil
	}

	switch format {
	case "png":
		return pngPage(img.Data)
	case "tiff":
		return tiffPage(img.Data)
	case "pnm":
		return pnmPage(img.Data)
	}
	if img.Format != "" {
		return p, fmt.Errorf("%w (it says %q)", ErrUnsupportedImage, img.Format)
	}
	return p, ErrUnsupportedImage
}

// rasterPage completes p with a raster to compress.
func rasterPage(p pageImage, r *raster) pageImage {
	p.width, p.height, p.raster, p.dict = r.width, r.height, r, r.dict()
	return p
}

// metricDPI rounds a resolution converted from dots per metre back to the
// whole number of dots per inch it was almost certainly set as (300 dpi is
// stored as 11,811 dots per metre, 299.9994 dpi).
func metricDPI(dpi float64) float64 {
	if r := math.Round(dpi); math.Abs(dpi-r) < 0.05 {
		return r
	}
	return dpi
}
