// Package handwriting reads what the clerk writes by hand on a printed
// form: the number after "Số:" and the day (and month) in the date line.
// Tesseract's printed-text models read that ink as junk or nothing; this
// package finds where the handwriting must be from the printed words
// around it, reads the digits with a small network trained on real
// handwriting (MNIST, never on this project's generated scans), and puts
// them back into the OCR page.
package handwriting

import (
	"image"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// MinConfidence is the confidence (product of per-digit probabilities)
// below which Refine leaves the OCR words as they were.
const MinConfidence = 0.35

// headerShare is how far down the page the number and date lines are
// looked for.
const headerShare = 0.4

// Refine replaces the OCR's reading of the handwritten number (between
// "Số:" and the "/…" notation) and day and month (between "ngày", "tháng"
// and "năm") of page 1 with digits read from img, the image p was
// recognised from (p's boxes are in img's pixels). It changes a field only
// when the words there are not already clean printed digits and the
// handwriting is read with at least MinConfidence; it never adds digits
// where there is no ink. The words it replaces become one word holding the
// digits, boxed on the ink; Text is rebuilt with the same line and block
// breaks. p is not modified; the result shares nothing with it.
func Refine(p ocr.Page, img image.Image) ocr.Page {
	out := p
	out.Words = slices.Clone(p.Words)
	if len(out.Words) == 0 || img == nil {
		return out
	}
	height := p.Height
	if height <= 0 {
		height = img.Bounds().Dy()
	}
	origin := img.Bounds().Min
	limit := origin.Y + int(headerShare*float64(height))
	lines := linesOf(out.Words)
	changed := map[int]bool{}
	number, date := false, false
	for _, ln := range lines {
		if len(ln) == 0 || out.Words[ln[0]].Box.Min.Y > limit {
			continue
		}
		if !number {
			if field, ok := findNumber(out.Words, ln); ok {
				number = true
				if out.Words, ok = apply(out.Words, field, img); ok {
					changed[field.line] = true
				}
			}
		}
		if !date {
			if fields, ok := findDate(out.Words, ln); ok {
				date = true
				// Apply right to left so earlier word indices stay valid.
				for i := len(fields) - 1; i >= 0; i-- {
					var done bool
					if out.Words, done = apply(out.Words, fields[i], img); done {
						changed[fields[i].line] = true
					}
				}
			}
		}
		if number && date {
			break
		}
	}
	if len(changed) > 0 {
		out.Text = rebuildText(p.Text, out.Words, changed)
		var sum float64
		for _, w := range out.Words {
			sum += w.Confidence
		}
		out.Confidence = sum / float64(len(out.Words))
	}
	return out
}

// linesOf groups word indices by line, lines in order.
func linesOf(words []ocr.Word) [][]int {
	var out [][]int
	for i, w := range words {
		for len(out) <= w.Line {
			out = append(out, nil)
		}
		if w.Line >= 0 {
			out[w.Line] = append(out[w.Line], i)
		}
	}
	return out
}

// field is a place on a line where handwritten digits are expected.
type field struct {
	line int
	// left is the index of the printed word before the field; its text is
	// trimmed to leftKeep runes and its box ends at leftEnd when the OCR
	// glued ink onto it.
	left     int
	leftKeep int
	leftEnd  int
	// right is the index of the printed word after the field; when the
	// OCR glued ink before it, rightDrop runes are cut from its front and
	// its box starts at rightStart.
	right      int
	rightDrop  int
	rightStart int
	// inner are the indices of the words between left and right.
	inner  []int
	region image.Rectangle
	valid  func(string) bool
	// keyword, when set, is how the left word is spelt once the field is
	// read ("Số:" for the OCR's "số:", "S6:" or "86:").
	keyword string
}

// findNumber finds "Số:" and the notation after it on line ln.
func findNumber(words []ocr.Word, ln []int) (field, bool) {
	for k, i := range ln {
		keep, ok := numberKeyword(words[i].Text)
		if !ok {
			continue
		}
		for m := k + 1; m < len(ln); m++ {
			j := ln[m]
			slash := strings.IndexRune(words[j].Text, '/')
			if slash < 0 {
				continue
			}
			prefix := words[j].Text[:slash]
			if prefix != "" && isDigits(prefix) && words[j].Confidence >= attachedConfidence && m == k+1 {
				// Digits joined to the notation ("413/QĐ-TCKH") are
				// typed: a hand leaves a gap before the printed slash.
				// The OCR read print; the digit reader would only add
				// the slash as a 1.
				return field{}, false
			}
			f := makeField(words, ln, k, m, keep, utf8.RuneCountInString(prefix), nil)
			f.keyword = "Số:"
			return f, true
		}
		// A number without a notation ("Số: 239" on a birth certificate):
		// the field runs to the next printed word, or a few digits' width.
		end := k + 1
		for end < len(ln) && !printedWord(words[ln[end]]) {
			end++
		}
		f := makeField(words, ln, k, end, keep, 0, nil)
		f.keyword = "Số:"
		return f, true
	}
	// The keyword itself misread ("86:" for "Số:"): a word ending in a
	// colon shortly before a notation "/QĐ-UBND".
	for m, j := range ln {
		r := []rune(words[j].Text)
		if len(r) < 3 || r[0] != '/' || !unicode.IsUpper(r[1]) {
			continue
		}
		for k := m - 1; k >= max(0, m-3); k-- {
			if t := words[ln[k]].Text; strings.HasSuffix(t, ":") && utf8.RuneCountInString(t) <= 4 {
				f := makeField(words, ln, k, m, utf8.RuneCountInString(t), 0, nil)
				f.keyword = "Số:"
				return f, true
			}
		}
	}
	return field{}, false
}

// printedWord reports whether w looks like print the OCR read well: a
// confident word with letters in it.
func printedWord(w ocr.Word) bool {
	if w.Confidence < 0.8 {
		return false
	}
	for _, r := range w.Text {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// findDate finds the day (between "ngày" and "tháng") and the month
// (between "tháng" and "năm") on the place-and-date line ln.
func findDate(words []ocr.Word, ln []int) ([]field, bool) {
	day, month, year := -1, -1, -1
	dayKeep := 0
	for k, i := range ln {
		f := vntext.Fold(words[i].Text)
		switch {
		case day < 0 && strings.HasPrefix(f, "ngay"):
			day, dayKeep = k, utf8.RuneCountInString("ngày")
		case day >= 0 && month < 0 && f == "thang":
			month = k
		case month >= 0 && year < 0 && (f == "nam" || strings.HasPrefix(f, "nam")):
			year = k
		}
	}
	if day < 0 || month < 0 || month-day > 4 {
		return nil, false
	}
	fields := []field{makeField(words, ln, day, month, dayKeep, 0, validDay)}
	if year > month && year-month <= 4 {
		fields = append(fields, makeField(words, ln, month, year, utf8.RuneCountInString("tháng"), 0, validMonth))
	}
	return fields, true
}

// cleanConfidence is the OCR confidence from which digits it read are
// taken to be printed and left alone.
const cleanConfidence = 0.85

// attachedConfidence is the OCR confidence above which digits written
// together with the notation in one word are taken as typed. It is lower
// than cleanConfidence because the joined slash and letters are what pull
// Tesseract's word confidence down, not the digits.
const attachedConfidence = 0.5

// numberKeyword reports whether text starts with "Số" (as the OCR may
// spell it: "Số:", "S6:", "Sô:", "Sồ:", "Số:0+") and how many runes the
// keyword itself takes.
func numberKeyword(text string) (int, bool) {
	r := []rune(text)
	// The OCR sometimes lowers the capital; the colon then tells the
	// keyword from the "số" of running text.
	if len(r) < 2 || (r[0] != 'S' && !(r[0] == 's' && len(r) > 2 && r[2] == ':')) {
		return 0, false
	}
	// An o without a horn: "Sở" and "Sơ" are other words.
	if !strings.ContainsRune("oóòỏõọôốồổỗộOÓÒỎÕỌÔỐỒỔỖỘ60", r[1]) {
		return 0, false
	}
	n := 2
	if len(r) > 2 && (r[2] == ':' || r[2] == ';' || r[2] == '.') {
		n = 3
	} else if len(r) > 2 && unicode.IsLetter(r[2]) {
		return 0, false // "Sở", "Sổ" … words, not the keyword
	}
	return n, true
}

// makeField builds the field between the words ln[k] and ln[m]. The left
// word keeps its first keep runes; the right word loses its first drop
// runes (ink the OCR glued to the notation).
func makeField(words []ocr.Word, ln []int, k, m, keep, drop int, valid func(string) bool) field {
	li := ln[k]
	lw := words[li]
	ri, rw := -1, lw
	if m < len(ln) {
		ri, rw = ln[m], words[ln[m]]
	}
	f := field{line: lw.Line, left: li, right: ri, leftKeep: keep, rightDrop: drop, valid: valid}
	perRune := runeWidth(words, ln)
	f.leftEnd = lw.Box.Max.X
	if n := utf8.RuneCountInString(lw.Text); n > keep {
		// The OCR glued the handwriting onto the keyword: the keyword
		// ends about where its own letters would.
		f.leftEnd = min(lw.Box.Max.X, lw.Box.Min.X+int(float64(keep)*perRune))
	}
	f.rightStart = rw.Box.Min.X
	if ri < 0 {
		f.rightStart = f.leftEnd + 5*lw.Box.Dy()
	}
	if drop > 0 {
		n := utf8.RuneCountInString(rw.Text)
		f.rightStart = rw.Box.Min.X + rw.Box.Dx()*drop/n
	}
	f.inner = ln[k+1 : min(m, len(ln))]
	// The band of the printed words, opened up and down: handwriting is
	// taller than print and rarely sits on the line.
	top, bottom := min(lw.Box.Min.Y, rw.Box.Min.Y), max(lw.Box.Max.Y, rw.Box.Max.Y)
	h := bottom - top
	f.region = image.Rect(f.leftEnd, top-h*6/10, f.rightStart, bottom+h/2)
	return f
}

// runeWidth is the typical width of one character on the line, from the
// words the OCR is sure of.
func runeWidth(words []ocr.Word, ln []int) float64 {
	var ws []float64
	for _, i := range ln {
		w := words[i]
		n := utf8.RuneCountInString(w.Text)
		if w.Confidence >= 0.8 && n >= 3 {
			ws = append(ws, float64(w.Box.Dx())/float64(n))
		}
	}
	if len(ws) == 0 {
		return 25
	}
	slices.Sort(ws)
	return ws[len(ws)/2]
}

// apply reads f's region and, when the handwriting is read with enough
// confidence and the OCR did not already read clean digits there, puts a
// word holding the digits in place of the words between f.left and
// f.right.
func apply(words []ocr.Word, f field, img image.Image) ([]ocr.Word, bool) {
	if f.region.Dx() <= 0 {
		return words, false
	}
	clean := len(f.inner) > 0
	for _, i := range f.inner {
		if !isDigits(words[i].Text) || words[i].Confidence < cleanConfidence {
			clean = false
		}
	}
	if clean && f.leftKeep >= utf8.RuneCountInString(words[f.left].Text) && f.rightDrop == 0 {
		return words, false
	}
	res, ok := ReadDigits(img, f.region)
	if !ok || res.Confidence < MinConfidence || (f.valid != nil && !f.valid(res.Text)) {
		return words, false
	}
	out := make([]ocr.Word, 0, len(words)+1)
	for i, w := range words {
		switch {
		case i == f.left:
			if r := []rune(w.Text); len(r) > f.leftKeep {
				w.Text = string(r[:f.leftKeep])
				w.Box.Max.X = f.leftEnd
			}
			if f.keyword != "" {
				w.Text = f.keyword
			}
			out = append(out, w, ocr.Word{Text: res.Text, Box: res.Box, Confidence: res.Confidence, Line: f.line})
		case slices.Contains(f.inner, i):
			// replaced by the digits
		case i == f.right && f.rightDrop > 0:
			w.Text = string([]rune(w.Text)[f.rightDrop:])
			w.Box.Min.X = f.rightStart
			out = append(out, w)
		default:
			out = append(out, w)
		}
	}
	return out, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func validDay(s string) bool   { return inRange(s, 1, 31) }
func validMonth(s string) bool { return inRange(s, 1, 12) }

func inRange(s string, lo, hi int) bool {
	if len(s) > 2 || !isDigits(s) {
		return false
	}
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n >= lo && n <= hi
}

// rebuildText writes the text of the changed lines from their words and
// keeps every other line, and the blank lines between blocks, as the OCR
// wrote them. When old does not have one text line per word line (it was
// not built that way), the whole text is rebuilt, one line per word line.
func rebuildText(old string, words []ocr.Word, changed map[int]bool) string {
	lines := linesOf(words)
	join := func(ln []int) string {
		parts := make([]string, len(ln))
		for k, i := range ln {
			parts[k] = words[i].Text
		}
		return strings.Join(parts, " ")
	}
	rows := strings.Split(old, "\n")
	nonEmpty := 0
	for _, r := range rows {
		if r != "" {
			nonEmpty++
		}
	}
	if nonEmpty != len(lines) {
		parts := make([]string, len(lines))
		for i, ln := range lines {
			parts[i] = join(ln)
		}
		return strings.Join(parts, "\n")
	}
	line := 0
	for k, r := range rows {
		if r == "" {
			continue
		}
		if changed[line] {
			rows[k] = join(lines[line])
		}
		line++
	}
	return strings.Join(rows, "\n")
}
