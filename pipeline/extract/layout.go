package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"sohoa/pipeline/vntext"
)

// layout is what readPage learns about a page before reading fields.
type layout struct {
	// cutoff is the x where the right header column (motto, place and
	// date) starts, from the motto's word boxes; 0 when unknown.
	cutoff int
	// mottoFound says cutoff came from the motto, not from half the page.
	mottoFound bool
	// stamp marks the lines of a digital-signature stamp.
	stamp map[int]bool
	// numberLine and dateLine are the indexes of the lines that gave
	// the number and the date; -1 when not found.
	numberLine, dateLine int
	// bodyPage is set for pages after the first.
	bodyPage bool
}

const (
	mottoNation = "cong hoa xa hoi chu nghia viet nam"
	mottoMotto  = "doc lap - tu do - hanh phuc"
)

func analyse(lines []line) layout {
	lay := layout{stamp: map[int]bool{}, numberLine: -1, dateLine: -1}
	width := 0
	for i, l := range lines {
		if width == 0 {
			width = l.pageWidth
		}
		if isStampLine(l) {
			lay.stamp[i] = true
		}
		if !l.hasBoxes || i > 40 {
			continue
		}
		// The motto's first word ("CỘNG", "Độc") starts the right column.
		for j := 0; j+1 < len(l.toks); j++ {
			if isMottoAt(l.toks, j) {
				x := l.toks[j].box.Min.X
				if lay.cutoff == 0 || x < lay.cutoff {
					lay.cutoff = x
				}
				lay.mottoFound = true
				break
			}
		}
	}
	if lay.cutoff == 0 && width > 0 {
		lay.cutoff = width / 2
	}
	return lay
}

// isStampLine reports whether l belongs to a digital-signature stamp or to
// the gazette centre's stamp, whose dates are signing times.
func isStampLine(l line) bool {
	f := l.fold()
	for _, k := range []string{"ky boi", "co quan:", "thoi gian ky", "gian ky:", "+07:00", ".gov.vn", "email:"} {
		if strings.Contains(f, k) {
			return true
		}
	}
	return false
}

// left returns the tokens of l in the header's left column: before the
// cutoff when boxes are known, before a column break ("\t") or the motto
// otherwise.
func (lay layout) left(l line) []token {
	var out []token
	for _, t := range l.toks {
		if t.text == "\t" {
			break
		}
		if l.hasBoxes && lay.cutoff > 0 && t.box.Min.X >= lay.cutoff {
			continue
		}
		out = append(out, t)
	}
	if !l.hasBoxes {
		out = cutMotto(out)
	}
	return out
}

// right returns the tokens of l in the right column, or all of them when
// the line has no column information.
func (lay layout) right(l line) []token {
	for i, t := range l.toks {
		if t.text == "\t" {
			return l.toks[i+1:]
		}
	}
	if l.hasBoxes && lay.mottoFound {
		var out []token
		for _, t := range l.toks {
			if t.box.Min.X >= lay.cutoff {
				out = append(out, t)
			}
		}
		return out
	}
	return l.toks
}

// cutMotto drops the motto and everything after it from toks, for text
// lines where the two header columns were flattened into one.
func cutMotto(toks []token) []token {
	for i := 0; i+1 < len(toks); i++ {
		if isMottoAt(toks, i) {
			return toks[:i]
		}
	}
	return toks
}

// isMottoAt reports whether the motto ("CỘNG HÒA XÃ HỘI …" or "Độc lập -
// Tự do …") starts at toks[i], allowing a misread letter per word. Two
// words are not enough: "ĐỨC LẬP" is a commune; nor are three when a
// fourth follows that is not "HỘI": "Thôn Đông Hòa, xã Tịnh Sơn" is an
// address a letter away.
func isMottoAt(toks []token, i int) bool {
	var words []string
	for _, t := range toks[i:] {
		if w := trimPunct(t.fold); w != "" {
			words = append(words, w)
		}
		if len(words) == 4 {
			break
		}
	}
	// hoi reports whether the word after the first n, if any, is "HỘI".
	hoi := func(n int) bool { return len(words) <= n || distance(words[n], "hoi") <= 1 }
	match := func(want ...string) bool {
		if len(words) < len(want) {
			return false
		}
		for k, w := range want {
			if distance(words[k], w) > 1 {
				return false
			}
		}
		return true
	}
	if (match("cong", "hoa", "xa") && hoi(3)) || match("doc", "lap", "tu") || (match("conghoa", "xa") && hoi(2)) {
		return true
	}
	// "Độc lập" alone ends a line when the motto wraps.
	return len(words) == 2 && match("doc", "lap")
}

func trimPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// joinTokens joins token texts with single spaces.
func joinTokens(toks []token) string {
	parts := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.text == "\t" {
			continue
		}
		parts = append(parts, t.text)
	}
	return strings.Join(parts, " ")
}

// spanTokens returns the tokens of toks overlapping the rune range
// [start, end) of joinTokens(toks).
func spanTokens(toks []token, start, end int) []token {
	var out []token
	pos := 0
	for _, t := range toks {
		if t.text == "\t" {
			continue
		}
		n := utf8.RuneCountInString(t.text)
		if pos < end && pos+n > start {
			out = append(out, t)
		}
		pos += n + 1
	}
	return out
}

// letterStats counts letters and upper-case letters in s.
func letterStats(s string) (letters, upper int) {
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return
}

// isJunkLine reports lines of seal bleed, stamp images and other noise:
// few letters, or words the engine itself does not believe.
func isJunkLine(l line) bool {
	s := l.text()
	letters := vietLetters(s) + strings.Count(s, "0") + digitsIn(s)
	n := utf8.RuneCountInString(strings.ReplaceAll(s, " ", ""))
	if n == 0 || float64(letters) < 0.6*float64(n) {
		return true
	}
	// Seal bleed reads as scattered one-letter "words".
	words := 0
	for _, t := range l.toks {
		if vietLetters(t.text) >= 2 {
			words++
		}
	}
	if len(l.toks) >= 4 && words*2 < len(l.toks) {
		return true
	}
	return l.hasBoxes && l.meanConf() < 0.45
}

// isUpperLine reports whether the letters of toks are (nearly) all upper
// case, as in titles and headers.
func isUpperLine(toks []token) bool {
	letters, upper := letterStats(joinTokens(toks))
	return letters >= 2 && float64(upper) >= 0.85*float64(letters)
}

// vietLetters counts the runes of s that are letters of the Vietnamese
// alphabet (with or without marks), not symbols OCR took for letters.
func vietLetters(s string) int {
	n := 0
	for _, r := range s {
		if f := vntext.FoldRune(r); f >= 'a' && f <= 'z' && unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

func digitsIn(s string) int {
	n := 0
	for _, r := range s {
		if r >= '1' && r <= '9' {
			n++
		}
	}
	return n
}
