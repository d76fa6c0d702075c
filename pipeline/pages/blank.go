package pages

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // page image decoders for blank detection
	_ "image/png"
	"sort"

	_ "golang.org/x/image/tiff"

	"sohoa/ocr"
	_ "sohoa/pipeline/netpbm" // PNM pages (from TIFF and raw PDF images)
)

// Blank detection tells a separator sheet a clerk put between documents of
// a stack from a page that belongs to a document. The page is measured on
// a downscaled copy (cells of about half a millimetre, which averages away
// sensor noise and JPEG artefacts), each cell marked where it is darker or
// more coloured than the paper, and the marked cells joined into connected
// marks. Dust and noise leave specks under a millimetre, so a page with
// nothing bigger is blank. Print and handwriting are dark; a seal bleeding
// through from the back of the sheet leaves large marks that are faint
// (no cell dark as ink) — near-blank, which stays with its document.

// Blankness is what a page holds, for splitting a stack.
type Blankness int

// Blankness values, from empty to written on.
const (
	// Blank is an empty sheet (scanner noise and dust tolerated): a
	// separator between documents.
	Blank Blankness = iota
	// NearBlank carries a few faint or isolated marks, such as a seal
	// bleeding through from the back: it belongs to its document.
	NearBlank
	// Content is a page with print or writing.
	Content
)

func (b Blankness) String() string {
	switch b {
	case Blank:
		return "blank"
	case NearBlank:
		return "near-blank"
	}
	return "content"
}

// Ink is what a page carries, measured on its downscaled, thresholded copy;
// the sheet's outer margin (scanner shadows, punched holes) is left out.
type Ink struct {
	// Coverage is the fraction of cells that carry a mark of any size.
	Coverage float64
	// Marks counts connected marks at least markMM across.
	Marks int
	// Specks counts smaller marks: dust, noise.
	Specks int
	// Largest is the extent of the largest mark, in millimetres.
	Largest float64
	// Dark is the fraction of cells dark as print or handwriting is; a
	// seal showing through the paper is faint and leaves none.
	Dark float64
}

// Thresholds of the detector. A speck of dust is well under a millimetre
// at any scan resolution; the smallest printed letter is over two.
const (
	cellMM        = 0.5  // side of a downscaled cell
	marginFrac    = 0.05 // of width and height, left out on each side
	darkDelta     = 14   // luminance below the paper that marks a cell
	inkDelta      = 80   // luminance below the paper of print (Ink.Dark)
	tintDelta     = 15   // chroma above the paper's that marks a cell
	markMM        = 2.0  // a mark at least this wide is not a speck
	blankMaxMM    = 5.0  // a blank page may hold a hair or scratch up to this
	blankMaxMarks = 2
	blankCoverage = 0.003
	nearCoverage  = 0.03
	nearMaxDark   = 0.0003
)

// Class sorts the page by what it holds.
func (i Ink) Class() Blankness {
	if i.Marks <= blankMaxMarks && i.Largest < blankMaxMM && i.Coverage < blankCoverage {
		return Blank
	}
	if i.Dark < nearMaxDark && i.Coverage < nearCoverage {
		return NearBlank
	}
	return Content
}

func (i Ink) String() string {
	return fmt.Sprintf("%s (coverage %.4f, dark %.5f, %d marks, %d specks, largest %.1f mm)", i.Class(), i.Coverage, i.Dark, i.Marks, i.Specks, i.Largest)
}

// InspectInk decodes a page image and measures its ink.
func InspectInk(img ocr.Image) (Ink, error) {
	decoded, _, err := image.Decode(bytes.NewReader(img.Data))
	if err != nil {
		return Ink{}, fmt.Errorf("decode %s page image for blank detection: %w", img.Format, err)
	}
	return MeasureInk(decoded, img.DPI), nil
}

// MeasureInk measures the ink of a decoded page scanned at dpi (0: 300).
func MeasureInk(img image.Image, dpi float64) Ink {
	if dpi <= 0 {
		dpi = assumedDPI
	}
	cell := int(dpi*cellMM/25.4 + 0.5)
	if cell < 1 {
		cell = 1
	}
	b := img.Bounds()
	gw, gh := b.Dx()/cell, b.Dy()/cell
	if gw < 4 || gh < 4 {
		return Ink{}
	}
	lum, chroma := cellMeans(img, cell, gw, gh)

	x0, x1 := int(float64(gw)*marginFrac), gw-int(float64(gw)*marginFrac)
	y0, y1 := int(float64(gh)*marginFrac), gh-int(float64(gh)*marginFrac)
	var ls, cs []int
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			ls = append(ls, int(lum[y*gw+x]))
			cs = append(cs, int(chroma[y*gw+x]))
		}
	}
	if len(ls) == 0 {
		return Ink{}
	}
	// The paper is what most of the page is: a high luminance percentile
	// (print never covers a tenth of a page's cells) and the median tint.
	sort.Ints(ls)
	sort.Ints(cs)
	paperL := ls[len(ls)*9/10]
	paperC := cs[len(cs)/2]

	w, h := x1-x0, y1-y0
	marked := make([]bool, w*h)
	n, dark := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y+y0)*gw + x + x0
			drop := paperL - int(lum[i])
			if drop > darkDelta || int(chroma[i])-paperC > tintDelta {
				marked[y*w+x] = true
				n++
			}
			if drop > inkDelta {
				dark++
			}
		}
	}
	ink := Ink{Coverage: float64(n) / float64(w*h), Dark: float64(dark) / float64(w*h)}
	mmPerCell := float64(cell) * 25.4 / dpi
	// Connected marks, 8-neighbourhood, by an explicit stack.
	seen := make([]bool, w*h)
	var stack []int
	for start := range marked {
		if !marked[start] || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		minX, maxX, minY, maxY := w, -1, h, -1
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					j := ny*w + nx
					if marked[j] && !seen[j] {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		extent := float64(max(maxX-minX, maxY-minY)+1) * mmPerCell
		if extent >= markMM {
			ink.Marks++
			ink.Largest = max(ink.Largest, extent)
		} else {
			ink.Specks++
		}
	}
	return ink
}

// cellMeans averages luminance and chroma (max minus min of the colour
// channels) over cell×cell blocks, with fast paths for the image types
// the page decoders produce.
func cellMeans(img image.Image, cell, gw, gh int) (lum, chroma []uint8) {
	b := img.Bounds()
	sumL := make([]uint32, gw*gh)
	sumC := make([]uint32, gw*gh)
	add := func(x, y int, r, g, bl uint8) {
		cx, cy := x/cell, y/cell
		if cx >= gw || cy >= gh {
			return
		}
		i := cy*gw + cx
		sumL[i] += (299*uint32(r) + 587*uint32(g) + 114*uint32(bl)) / 1000
		sumC[i] += uint32(max(r, g, bl) - min(r, g, bl))
	}
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < gh*cell; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < gw*cell; x++ {
				sumL[(y/cell)*gw+x/cell] += uint32(row[x])
			}
		}
	case *image.YCbCr:
		for y := 0; y < gh*cell; y++ {
			for x := 0; x < gw*cell; x++ {
				yi := m.YOffset(x+b.Min.X, y+b.Min.Y)
				ci := m.COffset(x+b.Min.X, y+b.Min.Y)
				i := (y/cell)*gw + x/cell
				sumL[i] += uint32(m.Y[yi])
				cb, cr := int(m.Cb[ci])-128, int(m.Cr[ci])-128
				sumC[i] += uint32(min(255, 2*(abs(cb)+abs(cr))))
			}
		}
	case *image.RGBA:
		for y := 0; y < gh*cell; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < gw*cell; x++ {
				add(x, y, row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < gh*cell; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < gw*cell; x++ {
				add(x, y, row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	default:
		for y := 0; y < gh*cell; y++ {
			for x := 0; x < gw*cell; x++ {
				r, g, bl, _ := img.At(x+b.Min.X, y+b.Min.Y).RGBA()
				add(x, y, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
	}
	n := uint32(cell * cell)
	lum = make([]uint8, gw*gh)
	chroma = make([]uint8, gw*gh)
	for i := range sumL {
		lum[i] = uint8(sumL[i] / n)
		chroma[i] = uint8(sumC[i] / n)
	}
	return lum, chroma
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
