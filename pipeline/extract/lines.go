package extract

import (
	"image"
	"sort"
	"strings"
	"unicode"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// token is one word of a text line, with where it came from.
type token struct {
	text string
	fold string
	conf float64
	box  image.Rectangle
}

// line is one text line of a page. Pages with word boxes give lines built
// from the words (so confidences and positions are known); pages with only
// text give lines with confidence 1 and no boxes.
type line struct {
	toks []token
	// gapBefore is true when a blank line or a new text block precedes
	// this line: a paragraph break the subject must not run across.
	gapBefore bool
	hasBoxes  bool
	// width of the page the boxes refer to; 0 when unknown.
	pageWidth int
}

func (l line) text() string {
	parts := make([]string, len(l.toks))
	for i, t := range l.toks {
		parts[i] = t.text
	}
	return strings.Join(parts, " ")
}

func (l line) fold() string { return vntext.Fold(l.text()) }

// box is the union of the tokens' boxes.
func (l line) box() image.Rectangle {
	var r image.Rectangle
	for i, t := range l.toks {
		if i == 0 {
			r = t.box
		} else {
			r = r.Union(t.box)
		}
	}
	return r
}

func (l line) meanConf() float64 { return meanConf(l.toks) }

func meanConf(toks []token) float64 {
	if len(toks) == 0 {
		return 0
	}
	var s float64
	for _, t := range toks {
		s += t.conf
	}
	return s / float64(len(toks))
}

func newToken(s string, conf float64, box image.Rectangle) token {
	s = vntext.NFC(strings.ToValidUTF8(s, ""))
	return token{text: s, fold: vntext.Fold(s), conf: clamp01(conf), box: box}
}

func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0: // NaN too
		return 0
	case f > 1:
		return 1
	}
	return f
}

// pageLines turns one OCR page into lines.
func pageLines(p ocr.Page) []line {
	if len(p.Words) > 0 {
		return wordLines(p)
	}
	return textLines(p.Text, p.Width)
}

// textLines splits plain text. Runs of three or more spaces separate columns
// in text laid out as two columns; they are kept as a token "\t" so the
// header code can cut the right column off.
func textLines(text string, width int) []line {
	var out []line
	gap := false
	for _, raw := range strings.Split(dropControl(strings.ToValidUTF8(text, "")), "\n") {
		raw = strings.ReplaceAll(raw, "\t", "   ")
		if strings.TrimSpace(raw) == "" {
			gap = true
			continue
		}
		var toks []token
		for i, col := range splitColumns(raw) {
			if i > 0 {
				toks = append(toks, token{text: "\t", fold: "\t", conf: 1})
			}
			for _, w := range strings.Fields(col) {
				toks = append(toks, newToken(w, 1, image.Rectangle{}))
			}
		}
		out = append(out, line{toks: toks, gapBefore: gap, pageWidth: width})
		gap = false
	}
	return out
}

func splitColumns(s string) []string {
	var cols []string
	spaces, start := 0, 0
	for i, r := range s {
		if r == ' ' {
			spaces++
			continue
		}
		if spaces >= 3 && strings.TrimSpace(s[start:i]) != "" {
			cols = append(cols, s[start:i-spaces])
			start = i
		}
		spaces = 0
	}
	return append(cols, s[start:])
}

// wordLines groups the words by their Line index. A blank line in Page.Text
// (the Tesseract engine writes one between text blocks) becomes gapBefore.
func wordLines(p ocr.Page) []line {
	byLine := map[int][]token{}
	var order []int
	for _, w := range p.Words {
		t := strings.TrimSpace(dropControl(w.Text))
		if t == "" || !hasPrintable(t) {
			continue
		}
		if _, ok := byLine[w.Line]; !ok {
			order = append(order, w.Line)
		}
		byLine[w.Line] = append(byLine[w.Line], newToken(t, w.Confidence, w.Box))
	}
	sort.Ints(order)
	// The k-th non-blank line of the text is line index k.
	gaps := map[int]bool{}
	k, gap := 0, false
	for _, raw := range strings.Split(p.Text, "\n") {
		if strings.TrimSpace(raw) == "" {
			gap = true
			continue
		}
		gaps[k] = gap
		gap = false
		k++
	}
	out := make([]line, 0, len(order))
	for _, n := range order {
		toks := byLine[n]
		sort.SliceStable(toks, func(i, j int) bool { return toks[i].box.Min.X < toks[j].box.Min.X })
		out = append(out, line{toks: toks, gapBefore: gaps[n], hasBoxes: true, pageWidth: p.Width})
	}
	return out
}

// dropControl removes control characters but line breaks and tabs: a
// text layer or a garbled file can carry NULs, which no field may hold.
func dropControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\f' {
			return -1
		}
		return r
	}, s)
}

func hasPrintable(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
