package dashboard

import (
	"image"
	"strconv"
	"strings"
	"unicode"

	"sohoa/pipeline/classify"
	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// fieldBox is one word on a page image that a field's value was read
// from, for the review page to mark: its box in the page image's pixels
// (as OCR stored it) and as percents of the page, which is how the page
// draws it over an image of any size.
type fieldBox struct {
	Field string
	Page  int
	Word  string
	Box   image.Rectangle
	// Left, Top, Width and Height are percents of the page image.
	Left, Top, Width, Height float64
}

// fieldBoxes finds, for each field of rec that the pages say in words,
// the words it was read from: the place on the pages where the most of
// the value's words stand in a row (accents, case and punctuation around
// a word aside). The date is found as it is written ("ngày 16 tháng 01
// năm 2025", "16/01/2025"); the type by its name (the title); the field
// (lĩnh vực), which is inferred rather than written, has none.
func fieldBoxes(rec catalog.Record, pgs []catalog.Page) []fieldBox {
	var out []fieldBox
	add := func(field string, p catalog.Page, idx []int) {
		if p.Width <= 0 || p.Height <= 0 {
			return
		}
		for _, i := range idx {
			w := p.Words[i]
			b := w.Box
			out = append(out, fieldBox{Field: field, Page: p.N, Word: w.Text, Box: b,
				Left: 100 * float64(b.Min.X) / float64(p.Width), Top: 100 * float64(b.Min.Y) / float64(p.Height),
				Width: 100 * float64(b.Dx()) / float64(p.Width), Height: 100 * float64(b.Dy()) / float64(p.Height)})
		}
	}
	norms := make([][]string, len(pgs))
	for i, p := range pgs {
		norms[i] = make([]string, len(p.Words))
		for j, w := range p.Words {
			norms[i][j] = normWord(w.Text)
		}
	}
	best := func(field string, find func(words []string) (score int, idx []int)) {
		top, page := 0, -1
		var hit []int
		for i := range pgs {
			s, idx := find(norms[i])
			if s > top {
				top, page, hit = s, i, idx
			}
		}
		if page >= 0 {
			add(field, pgs[page], hit)
		}
	}
	for _, key := range []string{"doc_type", "number", "issuer", "subject"} {
		v := recordValue(rec, key).Value
		if key == "doc_type" {
			if v == "" || v == classify.TypeOther {
				continue
			}
			v = classify.TypeName(v)
		}
		want := valueWords(v)
		if len(want) == 0 {
			continue
		}
		best(key, func(words []string) (int, []int) { return bestRun(words, want) })
	}
	if d, m, y, ok := isoDay(rec.Issued.Value); ok {
		best("issued_on", func(words []string) (int, []int) { return findDate(words, d, m, y) })
	}
	return out
}

// normWord is a word as the matching compares it: lower case, without
// accents (đ as d), without the punctuation around it.
func normWord(s string) string {
	s = vntext.Fold(strings.ToLower(s))
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func valueWords(v string) []string {
	var out []string
	for _, w := range strings.Fields(v) {
		if n := normWord(w); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// sameWord reports whether a page word is the value's word: equal, or,
// for a long value word (a number), holding it ("Số:86/QĐ-UBND").
func sameWord(page, want string) bool {
	return page == want || (len(want) >= 4 && strings.Contains(page, want))
}

// bestRun finds where the most of want's words stand in order on the
// page: the start whose window of len(want) words matches most of them
// (at least 60%, and one). It returns how many matched and the indexes
// of the page words that did.
func bestRun(words, want []string) (int, []int) {
	need := max(1, (len(want)*6+9)/10)
	top := 0
	var hit []int
	for s := range words {
		if !sameWord(words[s], want[0]) && (len(want) == 1 || s+1 >= len(words) || !sameWord(words[s+1], want[1])) {
			continue // a run starts at the value's first or second word
		}
		var idx []int
		for i := 0; i < len(want) && s+i < len(words); i++ {
			if sameWord(words[s+i], want[i]) {
				idx = append(idx, s+i)
			}
		}
		if len(idx) > top {
			top, hit = len(idx), idx
		}
	}
	if top < need {
		return 0, nil
	}
	return top, hit
}

// isoDay reads 2025-01-16.
func isoDay(v string) (d, m, y int, ok bool) {
	parts := strings.Split(v, "-")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	return d, m, y, e1 == nil && e2 == nil && e3 == nil
}

// findDate finds the day d/m/y as documents write it: "ngày 16 tháng 01
// năm 2025" (any of the words ngày, tháng, năm may be misread), or one
// word 16/01/2025.
func findDate(words []string, d, m, y int) (int, []int) {
	num := func(i, want int) bool {
		if i < 0 || i >= len(words) {
			return false
		}
		n, err := strconv.Atoi(words[i])
		return err == nil && n == want
	}
	for i := range words {
		if num(i, d) && num(i+2, m) && num(i+4, y) {
			idx := []int{i, i + 1, i + 2, i + 3, i + 4}
			if i > 0 && words[i-1] == "ngay" {
				idx = append([]int{i - 1}, idx...)
			}
			return len(idx), idx
		}
		parts := strings.FieldsFunc(words[i], func(r rune) bool { return r == '/' || r == '.' || r == '-' })
		if len(parts) == 3 {
			a, e1 := strconv.Atoi(parts[0])
			b, e2 := strconv.Atoi(parts[1])
			c, e3 := strconv.Atoi(parts[2])
			if e1 == nil && e2 == nil && e3 == nil && a == d && b == m && c == y {
				return 1, []int{i}
			}
		}
	}
	return 0, nil
}
