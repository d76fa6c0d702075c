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

// Trust caps the confidence of digits read from handwriting, below the
// pipeline's review threshold (classify.DefaultThreshold, 0.85): the
// network's probabilities are its belief on MNIST's hands, not on a
// clerk's. Measured on a fresh generated set (seed 1796201000, 150
// degraded documents, none seen while this code was written), 13 of the 58
// records the pipeline marked digitized had a handwritten number or day
// read wrong at a network confidence above 0.85. A number or day read from
// handwriting therefore always goes to a person, who sees the digits the
// machine proposes.
const Trust = 0.8

// headerShare is how far down the page the number and date lines are
// looked for.
const headerShare = 0.4

// Refine replaces the OCR's reading of the handwritten number (between
// "Số:" and the "/…" notation, in the top of page 1) and of the days and
// months of the page's date lines (between "ngày", "tháng" and "năm") with
// digits read from img, the image p was recognised from (p's boxes are in
// img's pixels). It changes a field only when the words there are not
// already clean printed digits and the handwriting is read with at least
// MinConfidence; it never adds digits where there is no ink. The words it
// replaces become one word holding the digits, boxed on the ink, and the
// date's keywords are spelt right when the OCR mangled them ("máng" →
// "tháng"); Text is rebuilt with the same line and block breaks. p is not
// modified; the result shares nothing with it.
//
// first says p is page 1, where the number is; later pages are searched
// for date lines only (a certified copy's certification, a certificate's
// closing date).
func Refine(p ocr.Page, img image.Image, first bool) ocr.Page {
	out := p
	out.Words = slices.Clone(p.Words)
	if img == nil {
		return out
	}
	fields := plan(out.Words, p.Height, first)
	if len(fields) == 0 {
		return out
	}
	// Apply right to left over the page: a field only changes words from
	// its left word on, so the indices of the fields before it stay valid.
	slices.SortFunc(fields, func(a, b field) int { return b.left - a.left })
	changed := map[int]bool{}
	for _, f := range fields {
		var ok bool
		if out.Words, ok = apply(out.Words, f, img); ok {
			changed[f.line] = true
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

// Wants reports whether Refine would read ink on p: whether a field that
// may be handwritten is there. Callers decode the page image only then.
func Wants(p ocr.Page, first bool) bool {
	return len(plan(p.Words, p.Height, first)) > 0
}

// Area is the part of the page image Refine reads for p: the fields where
// handwriting may be, each with the margin ReadDigits looks beyond it. It
// is empty when Refine reads nothing (Wants is false). Refine gives the
// same result with just this part of the page (an image whose Bounds are
// Area clipped to the page) as with the whole page, so a caller need not
// decode the rest.
func Area(p ocr.Page, first bool) image.Rectangle {
	var a image.Rectangle
	for _, f := range plan(p.Words, p.Height, first) {
		// ReadDigits' margin is a third of the region's height once
		// clipped to the page, never more than a third of its own.
		a = a.Union(f.region.Inset(-f.region.Dy() / 3))
	}
	return a
}

// plan finds the fields of the page that may hold handwriting the OCR did
// not read cleanly.
func plan(words []ocr.Word, height int, first bool) []field {
	if len(words) == 0 {
		return nil
	}
	if height <= 0 {
		for _, w := range words {
			height = max(height, w.Box.Max.Y)
		}
	}
	limit := int(headerShare * float64(height))
	var fields []field
	headerDate := false
	// The number is the first "Số:" of the header followed by a notation;
	// a "Số:" without one ("Số: 239" on a birth certificate) only when
	// the header has none with one: the OCR also reads "Số"/"Sổ" into the
	// junk of a seal or a rule.
	var number *field
	notated := !first
	for _, ln := range linesOf(words) {
		if len(ln) == 0 {
			continue
		}
		inHeader := first && words[ln[0]].Box.Min.Y <= limit
		if !notated && inHeader {
			if f, withNotation, ok := findNumber(words, ln); ok && (number == nil || withNotation) {
				number, notated = &f, withNotation
			}
		}
		// In the header the date line is the first one found, with or
		// without its year; elsewhere only a full "ngày … tháng … năm
		// YYYY" is taken for a date line.
		needYear := !inHeader || headerDate
		if fs, ok := findDate(words, ln, needYear); ok {
			if inHeader {
				headerDate = true
			}
			fields = append(fields, fs...)
		}
	}
	if number != nil {
		fields = append(fields, *number)
	}
	out := fields[:0]
	for _, f := range fields {
		f.region = clip(f.region, words, f)
		if f.region.Dx() > 0 && f.region.Dy() > 0 && !f.clean(words) {
			out = append(out, f)
		}
	}
	return out
}

// clip keeps f's region off the printed lines above and below it: a
// region opened up for tall handwriting must not take in the digits of
// "Quyển số: 03/2019" on the next line.
func clip(r image.Rectangle, words []ocr.Word, f field) image.Rectangle {
	lw := words[f.left]
	top, bottom := lw.Box.Min.Y, lw.Box.Max.Y
	for _, w := range words {
		if w.Line == f.line || w.Confidence < 0.8 || w.Box.Max.X <= r.Min.X || w.Box.Min.X >= r.Max.X {
			continue
		}
		mid := (w.Box.Min.Y + w.Box.Max.Y) / 2
		switch {
		case mid < top && w.Box.Max.Y > r.Min.Y:
			r.Min.Y = min(w.Box.Max.Y, top)
		case mid > bottom && w.Box.Min.Y < r.Max.Y:
			r.Max.Y = max(w.Box.Min.Y, bottom)
		}
	}
	return r
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
	// rightKeyword, when set, is how the right word is spelt once the
	// field is read ("tháng" for the OCR's "máng").
	rightKeyword string
	// twoDigits says the field is a day, written with two digits.
	twoDigits bool
}

// clean reports whether the OCR already read f as clean printed digits,
// which Refine leaves alone.
func (f field) clean(words []ocr.Word) bool {
	if len(f.inner) == 0 || f.leftKeep < utf8.RuneCountInString(words[f.left].Text) || f.rightDrop != 0 {
		return false
	}
	for _, i := range f.inner {
		if !isDigits(words[i].Text) || words[i].Confidence < cleanConfidence {
			return false
		}
	}
	return true
}

// findNumber finds "Số:" and the notation after it on line ln;
// withNotation says the notation was found.
func findNumber(words []ocr.Word, ln []int) (f field, withNotation, ok bool) {
	for k, i := range ln {
		keep, ok := numberKeyword(words[i].Text)
		if !ok {
			continue
		}
		if speck(words[i], ln, words) {
			continue // a speck the OCR spelt "SỐ" is not the keyword
		}
		if k > 0 && printedWord(words[ln[k-1]]) && float64(words[i].Box.Min.X-words[ln[k-1]].Box.Max.X) < 2*runeWidth(words, ln) {
			continue // "Quyển số: 03/2019", not the number
		}
		for m := k + 1; m < len(ln); m++ {
			j := ln[m]
			slash := strings.IndexRune(words[j].Text, '/')
			if slash < 0 {
				if m-k <= 3 && notationLike(words[j].Text) {
					// The notation with its slash misread or lost
					// ("'BC-UBND", "2017NQ-HDND"): the number ends
					// where it starts.
					f := makeField(words, ln, k, m, keep, 0, nil, false)
					f.keyword = "Số:"
					return f, true, true
				}
				continue
			}
			prefix := words[j].Text[:slash]
			if prefix != "" && isDigits(prefix) && words[j].Confidence >= attachedConfidence && m == k+1 {
				// Digits joined to the notation ("413/QĐ-TCKH") are
				// typed: a hand leaves a gap before the printed slash.
				// The OCR read print; the digit reader would only add
				// the slash as a 1.
				return field{}, false, false
			}
			f := makeField(words, ln, k, m, keep, utf8.RuneCountInString(prefix), nil, false)
			f.keyword = "Số:"
			return f, true, true
		}
		// A number without a notation ("Số: 239" on a birth certificate):
		// the field runs to the next printed word, or a few digits' width.
		end := k + 1
		for end < len(ln) && !printedWord(words[ln[end]]) {
			end++
		}
		f := makeField(words, ln, k, end, keep, 0, nil, false)
		f.keyword = "Số:"
		// A handwritten number is a few digits: a wide gap to the next
		// printed word (the other column) is not all number.
		f.region.Max.X = min(f.region.Max.X, f.leftEnd+int(12*runeWidth(words, ln)))
		return f, false, true
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
				f := makeField(words, ln, k, m, utf8.RuneCountInString(t), 0, nil, false)
				f.keyword = "Số:"
				return f, true, true
			}
		}
		// No colon either: the notation opens the line, after at most
		// the keyword and the ink, both read as junk ("ng ." for "Số:
		// 32"). With two words before it, the first is the keyword;
		// with one, the OCR took the keyword and the ink for one word,
		// or did not see the keyword at all: the ink starts with it.
		before := slices.DeleteFunc(slices.Clone(ln[:m]), func(i int) bool { return speck(words[i], ln, words) })
		if len(before) == 0 || len(before) > 2 || slices.ContainsFunc(before, func(i int) bool { return printedWord(words[i]) }) {
			continue
		}
		if w := words[ln[m-1]]; isDigits(w.Text) && w.Confidence >= cleanConfidence {
			return field{}, false, false // typed digits, left apart from the slash
		}
		k, keep := slices.Index(ln, before[len(before)-1]), 0
		n := utf8.RuneCountInString(words[before[0]].Text)
		if len(before) == 2 && n <= 4 {
			k, keep = slices.Index(ln, before[0]), n
		}
		f := makeField(words, ln, k, m, keep, 0, nil, false)
		if keep > 0 {
			// The keyword's box is the keyword, however the OCR spelt it.
			f.leftEnd = words[ln[k]].Box.Max.X
			f.region.Min.X = f.leftEnd
		}
		f.keyword = "Số:"
		return f, true, true
	}
	return field{}, false, false
}

// speck reports a word far shorter than the print of its line: a dot of
// noise the OCR made a word of.
func speck(w ocr.Word, ln []int, words []ocr.Word) bool {
	top, bottom, ok := printBand(words, ln)
	return ok && w.Box.Dy()*3 < bottom-top
}

// notationLike reports a word that reads like a printed notation whose
// slash the OCR lost: capitals joined by a hyphen ("BC-UBND", "'NQ-HĐND")
// or a run of capitals ("TrUBND"), with no Vietnamese letter but Đ; or
// anything before "-UBND" or "-HĐND".
// Handwriting read as letters is short and mixed ("VÌ", "(ŸtL"); a seal
// or a rule read as capitals has marks ("DIÚC").
func notationLike(text string) bool {
	if _, body, ok := strings.Cut(text, "-"); ok {
		// The issuing body after a hyphen is print, whatever the OCR made
		// of the type before it ("øœ-UBND" for "/KH-UBND").
		if b := strings.ToUpper(strings.TrimRight(body, ".,;:")); b == "UBND" || b == "HĐND" || b == "HDND" {
			return true
		}
	}
	r := []rune(text)
	upper, lower, hyphen := 0, 0, false
	for i, c := range r {
		if unicode.IsLetter(c) && c > unicode.MaxASCII && c != 'Đ' && c != 'đ' && c != 'Ð' {
			return false
		}
		switch {
		case unicode.IsUpper(c):
			upper++
		case unicode.IsLower(c):
			lower++
		case c == '-' && i > 0 && i+1 < len(r) && unicode.IsLetter(r[i-1]) && unicode.IsLetter(r[i+1]):
			hyphen = true
		}
	}
	return hyphen && upper >= 2 || upper >= 4 && upper >= 3*lower
}

// printedWord reports whether w looks like print the OCR read well: a
// confident word with letters in it, all of them Vietnamese ones.
func printedWord(w ocr.Word) bool {
	if w.Confidence < 0.8 {
		return false
	}
	letters := false
	for _, r := range w.Text {
		if !unicode.IsLetter(r) {
			continue
		}
		if f := vntext.FoldRune(r); f < 'a' || f > 'z' {
			// No Vietnamese word has an Ø or a Ÿ: ink the OCR
			// read as letters, however sure it is ("\ØL").
			return false
		}
		letters = true
	}
	return letters
}

// findDate finds the day (between "ngày" and "tháng") and the month
// (between "tháng" and "năm") on the place-and-date line ln. The keywords
// are matched as the OCR spells them when ink or a seal runs over them
// ("ngà", "máng", "táng7", "thủng"). With needYear, the line must end in
// "năm" and a four-digit year. A field whose words are confident print
// ("Ngày mười sáu, tháng năm" written out in letters) is no field.
func findDate(words []ocr.Word, ln []int, needYear bool) ([]field, bool) {
	day, month, year := -1, -1, -1
	glued := 0 // runes of the word before "ngày" when the OCR glued them
	for k, i := range ln {
		f := vntext.Fold(words[i].Text)
		at, isGlued := gluedDayWord(f)
		switch {
		case day < 0 && isDayWord(f):
			day = k
		case day < 0 && isGlued:
			day, glued = k, at
		case day >= 0 && month < 0 && k-day <= 4 && isMonthWord(f):
			month = k
		case month >= 0 && year < 0 && k-month <= 4 && isYearWord(f):
			year = k
		}
	}
	if day < 0 || month < 0 {
		return nil, false
	}
	if strings.HasSuffix(words[ln[day]].Text, ",") && strings.HasSuffix(words[ln[month]].Text, ",") {
		// "Ngày, tháng, năm sinh:": a form's label, not a date.
		return nil, false
	}
	if needYear && (year < 0 || year+1 >= len(ln) || !isYear(words[ln[year+1]].Text)) {
		return nil, false
	}
	for _, i := range ln[day+1 : month] {
		if printedLetters(words[i]) {
			return nil, false
		}
	}
	d := makeField(words, ln, day, month, min(utf8.RuneCountInString(words[ln[day]].Text), glued+len("ngay")), 0, validDay, true)
	d.keyword = string([]rune(words[ln[day]].Text)[:glued]) + "ngày"
	d.twoDigits = true
	if glued > 0 {
		// The place name's letters are no measure of where "ngày" ends:
		// its box does.
		d.leftEnd = words[ln[day]].Box.Max.X
		d.region.Min.X = d.leftEnd
	}
	mw := words[ln[month]]
	mr := []rune(mw.Text)
	junk := slices.IndexFunc(mr, unicode.IsLetter)
	if junk > 0 {
		// Ink glued before the keyword ("{tháng"): the keyword's own
		// letters take the end of the box.
		d.rightDrop = junk
		d.rightStart = max(mw.Box.Min.X, mw.Box.Max.X-int(1.1*float64(len(mr)-junk)*runeWidth(words, ln)))
		d.region.Max.X = d.rightStart
	}
	d.rightKeyword = monthKeyword(string(mr[max(junk, 0):]))
	fields := []field{d}
	if year > month && year-month <= 4 && !hasDigits(words[ln[month]].Text) {
		m := makeField(words, ln, month, year, utf8.RuneCountInString(words[ln[month]].Text), 0, validMonth, true)
		m.keyword = "tháng"
		fields = append(fields, m)
	}
	return fields, true
}

// isDayWord matches the folded "ngày" as the OCR reads it, with the day
// perhaps glued on ("ngay18", "nga", "ngav"), but not "Ngãi" (Quảng Ngãi),
// one letter away.
func isDayWord(f string) bool {
	letters := strings.TrimRightFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
	if strings.HasPrefix(letters, "ngay") || strings.HasPrefix(letters, "ngav") || letters == "nga" || letters == "ngy" {
		return true
	}
	// Under ink the OCR loses the end of the word or reads its g as a
	// d, perhaps after a speck: "ng", "1.ndày".
	letters = strings.TrimLeftFunc(letters, func(r rune) bool { return !unicode.IsLetter(r) })
	return letters == "ng" || letters == "nday" || letters == "ndav"
}

// gluedDayWord finds the folded "ngày" at the end of a word the OCR glued
// it onto: the place name before it when the comma was misread ("vinh„ngay",
// "loi;ngay,", "moi,-nga") or a seal's junk ("kihngay,"). at is the rune
// offset of "ngày" in f. A word merely ending in "nga" ("Nga,", a name) is
// not one: only a full "ngay" may follow letters.
func gluedDayWord(f string) (at int, ok bool) {
	r := []rune(strings.TrimRightFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }))
	for _, k := range []string{"ngay", "ngav", "nga", "ngy"} {
		at = len(r) - len(k)
		if at < 1 || string(r[at:]) != k {
			continue
		}
		if len(k) == 4 || !unicode.IsLetter(r[at-1]) {
			return at, true
		}
	}
	return 0, false
}

// isMonthWord matches the folded "tháng", perhaps with the month glued on
// or a letter or two misread under ink ("mang", "tang7", "thung").
func isMonthWord(f string) bool {
	letters := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
	if i := strings.IndexFunc(letters, unicode.IsDigit); i > 0 {
		// The printed month and year glued on: "tháng4năm2019".
		letters = letters[:i]
	}
	switch {
	case letters == "" || hasDigits(letters):
		return false
	case vntext.Distance(letters, "thang") <= 1:
		return true
	}
	return len(letters) >= 4 && (strings.HasSuffix(letters, "ang") || strings.HasSuffix(letters, "ung")) && vntext.Distance(letters, "thang") <= 2
}

// isYearWord matches the folded "năm".
func isYearWord(f string) bool {
	letters := strings.TrimRightFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
	return strings.HasPrefix(letters, "nam") || (len(letters) == 3 && letters[0] == 'n' && vntext.Distance(letters, "nam") <= 1)
}

// isYear reports a four-digit year, 19xx or 20xx.
func isYear(s string) bool {
	s = strings.TrimRight(s, ".,;:")
	return len(s) == 4 && isDigits(s) && (s[:2] == "19" || s[:2] == "20")
}

// monthKeyword is how the "tháng" word should read: "" when the OCR spelt
// it right, else "tháng" followed by any digits glued to it ("táng7" →
// "tháng7", which the extractor reads as month 7).
func monthKeyword(text string) string {
	i := strings.IndexFunc(text, unicode.IsDigit)
	letters, tail := text, ""
	if i >= 0 {
		letters, tail = text[:i], text[i:]
	}
	if letters == "tháng" || letters == "Tháng" || letters == "tháng," {
		return ""
	}
	return "tháng" + tail
}

func hasDigits(s string) bool { return strings.ContainsFunc(s, unicode.IsDigit) }

// printedLetters reports a confident word of three letters or more: print
// the OCR read, not ink.
func printedLetters(w ocr.Word) bool {
	n := 0
	for _, r := range w.Text {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n >= 3 && w.Confidence >= 0.8
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
// runes (ink the OCR glued to the notation). With onPrint the field's
// height follows the line's confident print rather than the keywords'
// boxes: a date line's "ngày" swells when a seal runs over it.
func makeField(words []ocr.Word, ln []int, k, m, keep, drop int, valid func(string) bool, onPrint bool) field {
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
	} else if want := float64(n) * perRune; n > 0 && float64(lw.Box.Dx()) > 1.5*want {
		// The OCR spelt the keyword alone but boxed the ink that touches
		// it with it ("ngày20" in italics): its letters end about where
		// n letters would, the rest of the box is the field.
		f.leftEnd = lw.Box.Min.X + int(1.1*want)
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
	if t, b, ok := printBand(words, ln); onPrint && ok && max(top, t) < min(bottom, b) {
		top, bottom = max(top, t), min(bottom, b)
	}
	h := bottom - top
	f.region = image.Rect(f.leftEnd, top-h*6/10, f.rightStart, bottom+h/2)
	return f
}

// printBand is the median top and bottom of the words on the line the OCR
// is sure of; ok is false when it is sure of none.
func printBand(words []ocr.Word, ln []int) (top, bottom int, ok bool) {
	var tops, bottoms []int
	for _, i := range ln {
		if w := words[i]; w.Confidence >= 0.8 {
			tops, bottoms = append(tops, w.Box.Min.Y), append(bottoms, w.Box.Max.Y)
		}
	}
	if len(tops) == 0 {
		return 0, 0, false
	}
	slices.Sort(tops)
	slices.Sort(bottoms)
	return tops[len(tops)/2], bottoms[len(bottoms)/2], true
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
	if f.region.Dx() <= 0 || f.clean(words) {
		return words, false
	}
	res, ok := readDigits(img, f.region, f.valid)
	if f.twoDigits && (!ok || len(res.Text) != 2) {
		// Nghị định 30/2020, Phụ lục I: a day under 10 is written with
		// a 0 before it. A reading of two digits is asked for first;
		// a clerk who wrote one digit is read as written.
		if two, ok2 := readDigits(img, f.region, twoDigitDay); ok2 && two.Confidence >= MinConfidence {
			res, ok = two, true
		}
	}
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
			out = append(out, w, ocr.Word{Text: res.Text, Box: res.Box, Confidence: min(res.Confidence, Trust), Line: f.line})
		case slices.Contains(f.inner, i):
			// replaced by the digits
		case i == f.right && (f.rightDrop > 0 || f.rightKeyword != ""):
			if f.rightDrop > 0 {
				w.Text = string([]rune(w.Text)[f.rightDrop:])
				w.Box.Min.X = f.rightStart
			}
			if f.rightKeyword != "" {
				w.Text = f.rightKeyword
			}
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

func validDay(s string) bool    { return inRange(s, 1, 31) }
func twoDigitDay(s string) bool { return len(s) == 2 && validDay(s) }
func validMonth(s string) bool  { return inRange(s, 1, 12) }

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
