package extract

import "sohoa/pipeline/vntext"

// Edit distances on runes, for matching folded words that OCR misread by a
// letter or two (QUYÉT, OUYẾT, CỌNG).

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int { return vntext.Distance(a, b) }

// findApprox finds needle in hay allowing up to maxDist edits (Sellers'
// approximate substring search). It returns the rune offsets of the best
// match in hay and its distance, or ok false.
func findApprox(hay, needle string, maxDist int) (start, end, dist int, ok bool) {
	h, n := []rune(hay), []rune(needle)
	if len(n) == 0 {
		return 0, 0, 0, true
	}
	// d[i][j]: best distance of needle[:i] ending at hay[:j]; st tracks
	// where that match starts.
	prev := make([]int, len(h)+1)
	prevSt := make([]int, len(h)+1)
	for j := range prev {
		prev[j] = 0
		prevSt[j] = j
	}
	cur := make([]int, len(h)+1)
	curSt := make([]int, len(h)+1)
	for i := 1; i <= len(n); i++ {
		cur[0] = i
		curSt[0] = 0
		for j := 1; j <= len(h); j++ {
			cost := 1
			if n[i-1] == h[j-1] {
				cost = 0
			}
			best, st := prev[j-1]+cost, prevSt[j-1]
			if v := prev[j] + 1; v < best {
				best, st = v, prevSt[j]
			}
			if v := cur[j-1] + 1; v < best {
				best, st = v, curSt[j-1]
			}
			cur[j], curSt[j] = best, st
		}
		prev, cur = cur, prev
		prevSt, curSt = curSt, prevSt
	}
	dist = maxDist + 1
	for j := 1; j <= len(h); j++ {
		if prev[j] < dist {
			dist, start, end = prev[j], prevSt[j], j
		}
	}
	if dist > maxDist {
		return 0, 0, 0, false
	}
	return start, end, dist, true
}

// tolerance is how many edits a phrase of n runes may carry and still match.
func tolerance(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 9:
		return 1
	case n <= 20:
		return 2
	default:
		return n / 8
	}
}
