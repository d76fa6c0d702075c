package handwriting

import (
	"cmp"
	"image"
	"math"
	"slices"

	"sohoa/pipeline/handwriting/internal/digitnet"
)

// Result is a run of digits read from a region of a page image.
type Result struct {
	// Text is the digits, left to right.
	Text string
	// Confidence is the product of the per-digit probabilities (each
	// among the ten digits), 0..1: the network's belief that the whole
	// string is right.
	Confidence float64
	// Box is the ink of the digits, in image coordinates.
	Box image.Rectangle
}

// ReadDigits reads the handwritten digits inside region of img. Ink is told
// from paper by darkness (the darkest colour channel, so blue ballpoint
// counts) and red seal pixels are never ink. Strokes are grouped into
// digits, and each digit is normalised like MNIST and classified. A mark
// whose centre lies outside region (the colon of "Số:", the slash of the
// notation, the line above) is ignored even when it reaches into region.
// ReadDigits returns false when nothing digit-like is there.
func ReadDigits(img image.Image, region image.Rectangle) (Result, bool) {
	return readDigits(img, region, nil)
}

// readDigits is ReadDigits with the reading held to valid when valid is
// not nil: when the likeliest digits are not a valid field ("00" or "72"
// for a day), the likeliest combination of each digit's likelier readings
// that is valid is taken instead, at its own (lower) confidence.
func readDigits(img image.Image, region image.Rectangle, valid func(string) bool) (Result, bool) {
	region = region.Intersect(img.Bounds())
	if region.Dx() < 4 || region.Dy() < 8 {
		return Result{}, false
	}
	// Look a little beyond the region so that marks cut by its edge are
	// seen whole and judged by where their centre is.
	margin := region.Dy() / 3
	area := region.Inset(-margin).Intersect(img.Bounds())
	levels := inkLevels(img, area)
	t, ok := inkThreshold(levels)
	if !ok {
		return Result{}, false
	}
	comps := components(levels, area, t)
	var marks []*component
	for _, c := range comps {
		if c.box.Dx() == 0 || c.box.Dy() == 0 {
			continue
		}
		ctr := image.Pt((c.box.Min.X+c.box.Max.X)/2, (c.box.Min.Y+c.box.Max.Y)/2)
		if !ctr.In(region) {
			continue
		}
		marks = append(marks, c)
	}
	glyphs := group(marks, region.Dy())
	if len(glyphs) == 0 {
		return Result{}, false
	}
	glyphs = dropPrint(glyphs)
	net := model()
	glyphs = joinFragments(net, glyphs)
	var parts []part
	for _, g := range glyphs {
		parts = append(parts, split(net, g)...)
	}
	if len(parts) == 0 {
		return Result{}, false
	}
	res := Result{Confidence: 1}
	text := make([]byte, len(parts))
	for i, p := range parts {
		text[i] = byte('0' + p.digit)
		res.Confidence *= float64(p.sure)
		res.Box = res.Box.Union(p.box)
	}
	res.Text = string(text)
	if valid != nil && !valid(res.Text) {
		res.Text, res.Confidence = likeliestValid(parts, valid)
		if len(parts) == 1 && len(glyphs) == 1 {
			// One digit where the field wants two: two touching
			// digits the network took for one ("07" written as one
			// stroke reads as a 9). The glyph cut once is the
			// candidate.
			if t, c := likeliestValid(splitCut(net, glyphs[0], 1, true), valid); c > res.Confidence {
				res.Text, res.Confidence = t, c
			}
		}
		if len(parts) > validDigits && len(glyphs) <= validDigits {
			// Cut into more digits than the field holds: the glyphs
			// cut at most into validDigits in all are a candidate too
			// (one glyph cut once, or two glyphs whole).
			var capped []part
			for _, g := range glyphs {
				capped = append(capped, splitDepth(net, g, validDigits-len(glyphs))...)
			}
			if t, c := likeliestValid(capped, valid); c > res.Confidence {
				res.Text, res.Confidence = t, c
			}
		}
		if res.Text == "" {
			return Result{}, false
		}
	}
	return res, true
}

// likeliestValid is the likeliest reading of parts that valid accepts,
// each digit taken among its altReadings likeliest, and its confidence;
// "" and 0 when there is none or too many digits to search.
func likeliestValid(parts []part, valid func(string) bool) (string, float64) {
	if len(parts) > maxSearch {
		return "", 0
	}
	best, bestConf := "", 0.0
	text := make([]byte, len(parts))
	var walk func(i int, conf float64)
	walk = func(i int, conf float64) {
		if conf <= bestConf {
			return
		}
		if i == len(parts) {
			if s := string(text); valid(s) {
				best, bestConf = s, conf
			}
			return
		}
		for _, d := range parts[i].likeliest(altReadings) {
			text[i] = byte('0' + d)
			walk(i+1, conf*float64(parts[i].digits[d]))
		}
	}
	walk(0, 1)
	return best, bestConf
}

// validDigits is the most digits a field held to valid has: a day or a
// month.
const validDigits = 2

// A field's reading is searched among each digit's altReadings likeliest
// readings, for fields of at most maxSearch digits.
const (
	altReadings = 3
	maxSearch   = 6
)

// likeliest returns p's n likeliest digits, likeliest first.
func (p part) likeliest(n int) []int {
	ds := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	slices.SortStableFunc(ds, func(a, b int) int { return cmp.Compare(p.digits[b], p.digits[a]) })
	return ds[:n]
}

// component is one connected blob of ink.
type component struct {
	box image.Rectangle
	pix []image.Point // image coordinates
}

// components labels the 8-connected ink blobs of area (levels above t).
func components(levels []uint8, area image.Rectangle, t uint8) []*component {
	w, h := area.Dx(), area.Dy()
	seen := make([]bool, w*h)
	var out []*component
	var stack []int
	for i, v := range levels {
		if v <= t || seen[i] {
			continue
		}
		c := &component{}
		seen[i] = true
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := j%w, j/w
			p := image.Pt(area.Min.X+x, area.Min.Y+y)
			c.pix = append(c.pix, p)
			c.box = c.box.Union(image.Rectangle{p, p.Add(image.Pt(1, 1))})
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					k := yy*w + xx
					if !seen[k] && levels[k] > t {
						seen[k] = true
						stack = append(stack, k)
					}
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// glyph is the ink of one or more digits: components merged because they
// overlap horizontally (a stroke broken by a dry pen or a threshold).
type glyph struct {
	box image.Rectangle
	pix []image.Point
}

// group drops specks and stray strokes and merges the pieces of each
// digit; the glyphs come out left to right. regionH is the height of the
// region searched, the scale for what counts as a speck.
func group(marks []*component, regionH int) []glyph {
	// Specks: small in both directions, or too little ink to write with.
	speck := max(3, regionH/8)
	var keep []*component
	tallest := 0
	for _, c := range marks {
		if c.box.Dx() < speck && c.box.Dy() < speck {
			continue
		}
		if len(c.pix) < speck*speck/4 {
			continue
		}
		// A long flat stroke is a rule or a dash, not a digit.
		if c.box.Dx() > 3*c.box.Dy() {
			continue
		}
		keep = append(keep, c)
		tallest = max(tallest, c.box.Dy())
	}
	slices.SortFunc(keep, func(a, b *component) int { return a.box.Min.X - b.box.Min.X })
	var out []glyph
	for _, c := range keep {
		if n := len(out); n > 0 {
			last := &out[n-1]
			ov := min(last.box.Max.X, c.box.Max.X) - max(last.box.Min.X, c.box.Min.X)
			if ov*2 >= min(last.box.Dx(), c.box.Dx()) {
				last.box = last.box.Union(c.box)
				last.pix = append(last.pix, c.pix...)
				continue
			}
		}
		out = append(out, glyph{box: c.box, pix: slices.Clone(c.pix)})
	}
	// Fragments much shorter than the tallest glyph are dots, accents or
	// stray pieces of print, not digits.
	out = slices.DeleteFunc(out, func(g glyph) bool { return g.box.Dy()*3 < tallest })
	return out
}

// dropPrint drops the glyphs at either end of the field drawn with a much
// finer stroke than the others: printed letters of the word beside the
// field that the OCR boxed short (the "y" of "ngày", the "ày" of a "ngày"
// read "ng"), not the pen.
func dropPrint(gs []glyph) []glyph {
	strokes := make([]float64, len(gs))
	for i, g := range gs {
		strokes[i] = maskOf(g.pix, g.box).StrokeWidth()
	}
	fine := func(i int) bool {
		others := slices.Delete(slices.Clone(strokes), i, i+1)
		slices.Sort(others)
		return strokes[i] < printStroke*others[len(others)/2]
	}
	for len(gs) > 2 && fine(len(gs)-1) {
		gs, strokes = gs[:len(gs)-1], strokes[:len(strokes)-1]
	}
	for len(gs) > 1 && fine(0) {
		gs, strokes = gs[1:], strokes[1:]
	}
	return gs
}

// printStroke is how much finer than the pen's a stroke at a field's end
// must be to be taken for print.
const printStroke = 0.6

// joinFragments puts back together a digit that the threshold broke into
// pieces side by side, which group cannot tell from two digits (the thin
// top and bottom of a printed 0 lost, leaving "()", read "11"): two
// neighbours close together, one of which the network takes for part of a
// digit, become one glyph when the network reads the whole as a digit
// surely, more surely than either piece.
func joinFragments(net *digitnet.Net, gs []glyph) []glyph {
	for i := 0; i+1 < len(gs); {
		a, b := gs[i], gs[i+1]
		h := max(a.box.Dy(), b.box.Dy())
		if gap := b.box.Min.X - a.box.Max.X; gap*4 > h {
			i++
			continue
		}
		pa, pb := classify(net, a.pix, a.box), classify(net, b.pix, b.box)
		if pa.frag < pa.prob && pb.frag < pb.prob {
			i++
			continue
		}
		u := glyph{box: a.box.Union(b.box), pix: append(slices.Clone(a.pix), b.pix...)}
		pu := classify(net, u.pix, u.box)
		if pu.prob < joinSure || pu.prob <= max(pa.prob, pb.prob) || uprightWidth(u) > float64(u.box.Dy()) {
			i++
			continue
		}
		gs[i] = u
		gs = slices.Delete(gs, i+1, i+2)
	}
	return gs
}

// joinSure is how sure the network must be of a digit made of pieces.
const joinSure = 0.8

// uprightWidth is the width of g once its slant is taken out: the
// narrowest of its widths sheared by a few common slants.
func uprightWidth(g glyph) float64 {
	yc := float64(g.box.Min.Y+g.box.Max.Y) / 2
	best := float64(g.box.Dx())
	for _, lean := range []float64{0.15, 0.3, -0.15} {
		lo, hi := 1e9, -1e9
		for _, p := range g.pix {
			x := float64(p.X) + lean*(float64(p.Y)-yc)
			lo, hi = min(lo, x), max(hi, x)
		}
		best = min(best, hi-lo+1)
	}
	return best
}

// part is one digit read from a glyph.
type part struct {
	digit int
	// prob is the network's probability of the digit among all its
	// outputs, what decides where to cut; sure is the probability among
	// the digits only, what the reading reports.
	prob, sure float32
	// pair is the network's probability that the ink is two digits
	// written touching.
	pair float32
	// frag is its probability that the ink is part of a digit only.
	frag float32
	// digits is the probability of each digit among the digits only.
	digits [10]float32
	box    image.Rectangle
}

// split reads a glyph as one digit or, when it is wide enough to be two
// or more digits written touching each other, as the cut into pieces that
// the network believes most. Cuts may lean like the handwriting does.
func split(net *digitnet.Net, g glyph) []part {
	return splitDepth(net, g, 2)
}

func splitDepth(net *digitnet.Net, g glyph, depth int) []part {
	return splitCut(net, g, depth, false)
}

// splitCut is splitDepth; with force the glyph is cut at least once when
// any cut is possible, however surely the network reads it whole.
func splitCut(net *digitnet.Net, g glyph, depth int, force bool) []part {
	whole := classify(net, g.pix, g.box)
	aspect := uprightWidth(g) / float64(g.box.Dy())
	// A glyph as narrow as one digit is one, unless the network sees two
	// digits in it: a 1 slanting into the 7 before it ("71") is no wider
	// than a 4.
	if depth == 0 || !force && aspect < 0.7 && whole.pair <= whole.prob {
		return []part{whole}
	}
	// The network has outputs for two digits touching (Pair) and for part
	// of a digit (Fragment): a whole 0 beats its two halves, a touching
	// 36 loses to its cut.
	bestScore := float64(whole.prob)
	if aspect < 0.95 && whole.pair <= whole.prob {
		// Narrow enough to be one digit, and the network sees one: a
		// cut must be clearly better.
		bestScore *= 2
	}
	if force {
		bestScore = 0
	}
	best := []part{whole}
	w, yc := g.box.Dx(), float64(g.box.Min.Y+g.box.Max.Y)/2
	ink := make([]bool, g.box.Dx()*g.box.Dy())
	for _, p := range g.pix {
		ink[(p.Y-g.box.Min.Y)*w+p.X-g.box.Min.X] = true
	}
	try := func(left, right glyph) {
		// Each half must hold a fair share of the ink and its height.
		if len(left.pix)*5 < len(g.pix) || len(right.pix)*5 < len(g.pix) ||
			left.box.Dy()*2 < g.box.Dy() || right.box.Dy()*2 < g.box.Dy() {
			return
		}
		parts := append(splitDepth(net, left, depth-1), splitDepth(net, right, depth-1)...)
		score := 1.0
		for _, p := range parts {
			score *= float64(p.prob)
		}
		// Every cut must be earned: the pieces of a 2 read as a 7
		// and a 6 are each likely, and more pieces always find one
		// that reads well.
		score *= math.Pow(cutCost, float64(len(parts)-1))
		if score > bestScore {
			best, bestScore = parts, score
		}
	}
	// Digits that overlap as well as touch (a 0 tucked under a 9) have no
	// straight cut between them: a path that winds through the paper,
	// crossing as little ink as it can, separates them.
	h := g.box.Dy()
	for _, win := range [][2]float64{{0.25, 0.5}, {0.5, 0.75}} {
		path := inkPath(ink, w, h, int(win[0]*float64(w)), int(win[1]*float64(w)))
		if path == nil {
			continue
		}
		var left, right glyph
		for _, p := range g.pix {
			half := &right
			if p.X-g.box.Min.X < path[p.Y-g.box.Min.Y] {
				half = &left
			}
			half.pix = append(half.pix, p)
			half.box = half.box.Union(image.Rectangle{p, p.Add(image.Pt(1, 1))})
		}
		try(left, right)
	}
	// A 1 is often written leaning back, like a backslash, into the
	// digit before it: the cut follows it.
	for _, lean := range []float64{0, 0.15, 0.3, -0.15, -0.3, -0.45} {
		for f := 0.3; f <= 0.71; f += 0.1 {
			cx := float64(g.box.Min.X) + f*float64(w)
			// Two digits written touching meet at one place: a cut that
			// crosses the ink twice goes through a loop (0, 6, 8, 9).
			runs, in := 0, false
			for y := g.box.Min.Y; y < g.box.Max.Y; y++ {
				x := int(math.Round(cx-lean*(float64(y)-yc))) - g.box.Min.X
				on := x >= 0 && x < w && (ink[(y-g.box.Min.Y)*w+x] || (x+1 < w && ink[(y-g.box.Min.Y)*w+x+1]))
				if on && !in {
					runs++
				}
				in = on
			}
			if runs > 1 {
				continue
			}
			var left, right glyph
			for _, p := range g.pix {
				edge := cx - lean*(float64(p.Y)-yc)
				half := &right
				if float64(p.X) < edge {
					half = &left
				}
				half.pix = append(half.pix, p)
				half.box = half.box.Union(image.Rectangle{p, p.Add(image.Pt(1, 1))})
			}
			try(left, right)
		}
	}
	return best
}

// cutCost is what each cut costs a reading: the product of its digits'
// probabilities is multiplied by it once per cut.
const cutCost = 0.9

// inkPath finds the top-to-bottom path through a w×h ink mask that
// crosses the fewest ink pixels, moving at most one column a row and
// staying within columns [lo, hi): for each row the column where the cut
// passes. It returns nil when the window is empty.
func inkPath(ink []bool, w, h, lo, hi int) []int {
	lo, hi = max(lo, 1), min(hi, w-1)
	if hi <= lo || h == 0 {
		return nil
	}
	n := hi - lo
	// cost is ink crossed, plus a little for every sideways step so the
	// path stays straight where the paper allows.
	const step = 0.05
	cost := make([]float64, n)
	from := make([]int8, h*n)
	for y := range h {
		next := make([]float64, n)
		for i := range n {
			c := 0.0
			if ink[y*w+lo+i] {
				c = 1
			}
			if y == 0 {
				next[i] = c
				continue
			}
			best, dir := cost[i], int8(0)
			if i > 0 && cost[i-1]+step < best {
				best, dir = cost[i-1]+step, -1
			}
			if i+1 < n && cost[i+1]+step < best {
				best, dir = cost[i+1]+step, 1
			}
			next[i], from[y*n+i] = best+c, dir
		}
		cost = next
	}
	end := 0
	for i := range n {
		if cost[i] < cost[end] {
			end = i
		}
	}
	path := make([]int, h)
	for y, i := h-1, end; y >= 0; y-- {
		path[y] = lo + i
		i += int(from[y*n+i])
	}
	return path
}

// Loops smaller than minLoop pixels, or a third of the pen width squared,
// are pinholes in a stroke, not loops.
const minLoop = 6

// twoLoops is how likely a digit other than 8 is to show two loops, as
// against an 8: the weight its probability is given when the ink has two.
const twoLoops = 0.05

// maskOf is the ink pix within box as a mask of box's size.
func maskOf(pix []image.Point, box image.Rectangle) digitnet.Mask {
	m := digitnet.NewMask(box.Dx(), box.Dy())
	for _, p := range pix {
		m.Pix[(p.Y-box.Min.Y)*m.W+p.X-box.Min.X] = true
	}
	return m
}

// classify normalises one digit's ink and runs the network on it.
func classify(net *digitnet.Net, pix []image.Point, box image.Rectangle) part {
	m := maskOf(pix, box)
	in := digitnet.Normalize(m)
	if in == nil {
		return part{box: box}
	}
	prob := net.Predict(in)
	if sw := m.StrokeWidth(); 4*prob[digitnet.Pair] < slices.Max(prob[:10]) && m.Holes(max(minLoop, int(sw*sw/3))) >= 2 {
		// Two loops in what the network surely takes for one digit: an
		// 8 whose upper loop is small, which the network, seeing mostly
		// the large one, takes for a 0. The loops are evidence the
		// network does not weigh: a digit other than 8 shows two only
		// when its stroke crosses itself, about one time in twenty
		// (twoLoops), while two digits touching ("09", "69") show two as
		// a matter of course, so the pair output keeps its weight and
		// the glyph is cut. A glyph the network already sees as a pair
		// is left to it.
		var sum float32
		for d := range digitnet.Classes {
			if d < 10 && d != 8 {
				prob[d] *= twoLoops
			}
			sum += prob[d]
		}
		for d := range prob {
			prob[d] /= sum
		}
	}
	best, digits := 0, float32(0)
	for d := range 10 {
		digits += prob[d]
		if prob[d] > prob[best] {
			best = d
		}
	}
	pt := part{digit: best, prob: prob[best], pair: prob[digitnet.Pair], frag: prob[digitnet.Fragment], box: box}
	for d := range 10 {
		pt.digits[d] = prob[d] / max(digits, 1e-6)
	}
	pt.sure = pt.digits[best]
	return pt
}
