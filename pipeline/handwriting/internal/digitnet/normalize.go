package digitnet

import "math"

// Mask is a binary ink image: Pix[y*W+x] is true where there is ink.
type Mask struct {
	W, H int
	Pix  []bool
}

// NewMask makes an empty w×h mask.
func NewMask(w, h int) Mask { return Mask{W: w, H: h, Pix: make([]bool, w*h)} }

// At reports whether (x, y) is ink; outside the mask is paper.
func (m Mask) At(x, y int) bool {
	return x >= 0 && y >= 0 && x < m.W && y < m.H && m.Pix[y*m.W+x]
}

// Count is the number of ink pixels.
func (m Mask) Count() int {
	n := 0
	for _, v := range m.Pix {
		if v {
			n++
		}
	}
	return n
}

// StrokeWidth estimates the pen width in pixels as twice the ink area over
// the length of the ink's outline (a stroke of width w and length L has
// area wL and an outline of about 2L).
func (m Mask) StrokeWidth() float64 {
	area, edges := 0, 0
	for y := range m.H {
		for x := range m.W {
			if !m.Pix[y*m.W+x] {
				continue
			}
			area++
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				if !m.At(x+d[0], y+d[1]) {
					edges++
				}
			}
		}
	}
	if edges == 0 {
		return 0
	}
	return 2 * float64(area) / float64(edges)
}

// Dilate grows the ink by r pixels (a disc); Erode shrinks it.
func (m Mask) Dilate(r int) Mask { return m.morph(r, true) }

// Erode shrinks the ink by r pixels (a disc).
func (m Mask) Erode(r int) Mask { return m.morph(r, false) }

func (m Mask) morph(r int, grow bool) Mask {
	if r <= 0 {
		return m
	}
	var offs [][2]int
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r+r/2 {
				offs = append(offs, [2]int{dx, dy})
			}
		}
	}
	out := NewMask(m.W, m.H)
	for y := range m.H {
		for x := range m.W {
			if grow {
				if !m.Pix[y*m.W+x] {
					continue
				}
				for _, o := range offs {
					if xx, yy := x+o[0], y+o[1]; xx >= 0 && yy >= 0 && xx < m.W && yy < m.H {
						out.Pix[yy*m.W+xx] = true
					}
				}
				continue
			}
			keep := m.Pix[y*m.W+x]
			for _, o := range offs {
				if !keep {
					break
				}
				keep = m.At(x+o[0], y+o[1])
			}
			out.Pix[y*m.W+x] = keep
		}
	}
	return out
}

// Holes counts the loops of the ink: regions of paper of at least minArea
// pixels that the ink closes in (paper connected to the edge of the mask
// only through a diagonal between two ink pixels is closed in, as a pen's
// line is continuous). An 8 has two, a 0, 6 or 9 one, a 1 none.
func (m Mask) Holes(minArea int) int {
	seen := make([]bool, len(m.Pix))
	stack := []int{}
	holes := 0
	for start, ink := range m.Pix {
		if ink || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		area, open := 0, false
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			area++
			x, y := i%m.W, i/m.W
			if x == 0 || y == 0 || x == m.W-1 || y == m.H-1 {
				open = true
			}
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= m.W || ny >= m.H {
					continue
				}
				if j := ny*m.W + nx; !m.Pix[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		if !open && area >= minArea {
			holes++
		}
	}
	return holes
}

// Pad returns m with p pixels of paper added on every side.
func (m Mask) Pad(p int) Mask {
	out := NewMask(m.W+2*p, m.H+2*p)
	for y := range m.H {
		copy(out.Pix[(y+p)*out.W+p:], m.Pix[y*m.W:(y+1)*m.W])
	}
	return out
}

// The geometry of MNIST: each digit is scaled to fit a 20×20 box keeping
// its aspect ratio, anti-aliased, then placed in the 28×28 image with its
// centre of mass at the centre.
const (
	fitBox = 20
	// TargetStroke is the pen width, in pixels of the 28×28 image, that
	// Normalize gives every digit: the median stroke width of the MNIST
	// digits thresholded at 0.5, as measured by Mask.StrokeWidth (the
	// training program prints it).
	TargetStroke = 2.0
)

// Normalize turns one digit's ink into a network input the way MNIST was
// made: crop to the ink, bring the pen width to TargetStroke at the final
// scale (scanned ballpoint strokes are thinner than MNIST's, felt pens
// thicker), fit in 20×20 keeping the aspect ratio with anti-aliasing, and
// centre by mass in 28×28. It returns nil when m has no ink.
func Normalize(m Mask) []float32 {
	x0, y0, x1, y1, ok := bounds(m)
	if !ok {
		return nil
	}
	bw, bh := x1-x0, y1-y0
	s := fitBox / float64(max(bw, bh))
	// Adjust the stroke at the source scale. Pad first so dilation has room.
	sw := m.StrokeWidth()
	want := TargetStroke / s
	if r := int(math.Round((want - sw) / 2)); r > 0 {
		m = crop(m, x0, y0, x1, y1).Pad(r).Dilate(r)
	} else if r < 0 {
		c := crop(m, x0, y0, x1, y1)
		// Thin only as far as the strokes survive: a glyph that loses most
		// of its ink is a blob, better left as it is.
		for k := -r; k > 0; k-- {
			e := c.Erode(k)
			if e.Count()*3 >= c.Count() {
				c = e
				break
			}
		}
		m = c
	} else {
		m = crop(m, x0, y0, x1, y1)
	}
	x0, y0, x1, y1, _ = bounds(m)
	bw, bh = x1-x0, y1-y0
	s = fitBox / float64(max(bw, bh))
	ow, oh := max(1, int(math.Round(float64(bw)*s))), max(1, int(math.Round(float64(bh)*s)))
	// Area-average by supersampling each output pixel.
	k := max(4, int(math.Ceil(2/s)))
	small := make([]float32, ow*oh)
	for oy := range oh {
		for ox := range ow {
			hits := 0
			for sy := range k {
				for sx := range k {
					fx := (float64(ox) + (float64(sx)+0.5)/float64(k)) * float64(bw) / float64(ow)
					fy := (float64(oy) + (float64(sy)+0.5)/float64(k)) * float64(bh) / float64(oh)
					if m.At(x0+int(fx), y0+int(fy)) {
						hits++
					}
				}
			}
			small[oy*ow+ox] = float32(hits) / float32(k*k)
		}
	}
	// Centre of mass to the centre of the 28×28 image.
	var mx, my, mass float64
	for y := range oh {
		for x := range ow {
			v := float64(small[y*ow+x])
			mx += v * (float64(x) + 0.5)
			my += v * (float64(y) + 0.5)
			mass += v
		}
	}
	if mass == 0 {
		return nil
	}
	dx := int(math.Round(Side/2 - mx/mass))
	dy := int(math.Round(Side/2 - my/mass))
	out := make([]float32, Side*Side)
	for y := range oh {
		for x := range ow {
			tx, ty := x+dx, y+dy
			if tx >= 0 && ty >= 0 && tx < Side && ty < Side {
				out[ty*Side+tx] = small[y*ow+x]
			}
		}
	}
	return out
}

// bounds is the ink's bounding box, max exclusive.
func bounds(m Mask) (x0, y0, x1, y1 int, ok bool) {
	x0, y0, x1, y1 = m.W, m.H, -1, -1
	for y := range m.H {
		for x := range m.W {
			if m.Pix[y*m.W+x] {
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return 0, 0, 0, 0, false
	}
	return x0, y0, x1 + 1, y1 + 1, true
}

func crop(m Mask, x0, y0, x1, y1 int) Mask {
	out := NewMask(x1-x0, y1-y0)
	for y := y0; y < y1; y++ {
		copy(out.Pix[(y-y0)*out.W:], m.Pix[y*m.W+x0:y*m.W+x1])
	}
	return out
}
