package handwriting

import (
	"image"
	"image/color"
	"slices"
)

// inkLevels returns, for every pixel of r (row by row), how dark it is
// (0 paper … 255 black) as a pen's ink: the darkest colour channel, so blue
// and black ballpoint both count, except where the pixel is clearly red or
// pink: the seal is not ink.
func inkLevels(img image.Image, r image.Rectangle) []uint8 {
	w, h := r.Dx(), r.Dy()
	out := make([]uint8, w*h)
	level := func(R, G, B uint8) uint8 {
		lo := min(R, G, B)
		red := int(R) - int(max(G, B))
		// Red by a margin, or pale and mostly red: a seal's thin strokes
		// and its faded edge keep their hue but not their saturation.
		if red > 45 || red > 12 && 3*red > int(255-lo) {
			return 0
		}
		return 255 - lo
	}
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):]
			for x := range w {
				out[y*w+x] = 255 - row[x]
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+3 : 4*x+3]
				out[y*w+x] = level(p[0], p[1], p[2])
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+3 : 4*x+3]
				out[y*w+x] = level(p[0], p[1], p[2])
			}
		}
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi := m.YOffset(r.Min.X+x, r.Min.Y+y)
				ci := m.COffset(r.Min.X+x, r.Min.Y+y)
				R, G, B := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				out[y*w+x] = level(R, G, B)
			}
		}
	default:
		for y := range h {
			for x := range w {
				R, G, B, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
				out[y*w+x] = level(uint8(R>>8), uint8(G>>8), uint8(B>>8))
			}
		}
	}
	return out
}

// inkThreshold picks the level above which a pixel is ink: Otsu's split of
// the levels, but never closer to the paper than minContrast, so a blank
// stretch of noisy paper yields no ink at all. ok is false when the area
// holds no contrast worth calling ink.
func inkThreshold(levels []uint8) (t uint8, ok bool) {
	const minContrast = 45
	var hist [256]int
	for _, v := range levels {
		hist[v]++
	}
	sorted := slices.Clone(levels)
	slices.Sort(sorted)
	paper := int(sorted[len(sorted)/2])
	dark := int(sorted[len(sorted)*998/1000])
	if dark-paper < 2*minContrast {
		return 0, false
	}
	// Otsu
	total := len(levels)
	var sum float64
	for i, c := range hist {
		sum += float64(i * c)
	}
	var sumB float64
	wB := 0
	best, bestVar := 0, -1.0
	for i := range 256 {
		wB += hist[i]
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(i * hist[i])
		mB := sumB / float64(wB)
		mF := (sum - sumB) / float64(wF)
		v := float64(wB) * float64(wF) * (mB - mF) * (mB - mF)
		if v > bestVar {
			bestVar, best = v, i
		}
	}
	best = max(best, paper+minContrast)
	best = min(best, paper+(dark-paper)*2/3)
	return uint8(best), true
}
