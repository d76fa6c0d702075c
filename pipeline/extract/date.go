package extract

import (
	"fmt"
	"image"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sohoa/pipeline/vntext"
)

// dateRe matches the folded "ngày 16 tháng 01 năm 2025" with OCR's usual
// damage: "ngàv", digits read as o/l/i, the day glued to "ngày".
var dateRe = regexp.MustCompile(`nga[yv]\s*(\S{0,6}?)\s*t\s?h?\s?a\s?n\s?g\s*(\S{0,4}?)\s*n\s?a\s?m\s*([0-9oil|]{4})`)

// numericDateRe matches "…, ngày 16/01/2025", accepted only after a place
// name and a comma.
var numericDateRe = regexp.MustCompile(`,\s*nga[yv]\s*([0-9oil|]{1,2})\s*[/.-]\s*([0-9oil|]{1,2})\s*[/.-]\s*([0-9oil|]{4})`)

type dateResult struct {
	value Value
	line  int
}

type dateCand struct {
	value  Value
	line   int
	place  bool // preceded by "Place," as the date line is
	header bool // in the header, before the title
}

// findDate reads the issue date from the place-and-date line. Signature
// stamps are skipped, body references ("ngày 10/12/2013") do not match, and
// a date line beginning with a place name and a comma in the header is
// preferred to any other.
func findDate(lines []line, lay layout) dateResult {
	var cands []dateCand
	headerEnd := headerLimit(lines)
	for i, l := range lines {
		if lay.stamp[i] {
			continue
		}
		toks := lay.right(l)
		s := joinTokens(toks)
		f := vntext.Fold(s)
		add := func(m []int, numeric bool) {
			if m[7] < len(f) && f[m[7]] >= '0' && f[m[7]] <= '9' {
				// Four digits of a longer run ("năm 20335") are no
				// year: the OCR added or merged a digit.
				return
			}
			d, ok, clean := parseDayMonthYear(f[m[2]:m[3]], f[m[4]:m[5]], f[m[6]:m[7]])
			if !ok {
				// Month and year alone are not a date: nothing,
				// rather than a guessed day.
				return
			}
			start := runeIndex(f, m[0])
			place := precededByPlace(toks, start) || aloneOnRight(l, toks, start, runeIndex(f, m[1]))
			conf := meanConf(spanTokens(toks, start, runeIndex(f, m[1])))
			// The day is often handwritten: the date is no surer than
			// the word that gave it.
			if day := spanTokens(toks, runeIndex(f, m[2]), runeIndex(f, m[3])); len(day) > 0 && m[3] > m[2] {
				for _, t := range day {
					conf = min(conf, t.conf)
				}
			}
			if !clean {
				conf *= 0.85
			}
			cands = append(cands, dateCand{
				value:  Value{Value: d, Confidence: conf},
				line:   i,
				place:  place,
				header: i < headerEnd && !lay.bodyPage,
			})
		}
		for _, m := range dateRe.FindAllStringSubmatchIndex(f, -1) {
			if isDateLabel(f, m[0]) {
				continue
			}
			add(m, false)
		}
		for _, m := range numericDateRe.FindAllStringSubmatchIndex(f, -1) {
			add(m, true)
		}
	}
	best, bestScore := dateResult{line: -1}, 0.0
	for _, c := range cands {
		score := 1.0
		if !c.place {
			score *= 0.75
		}
		if !c.header {
			score *= 0.6
		}
		if !c.place && !c.header {
			continue // a date in the body is not the issue date
		}
		if score > bestScore {
			best, bestScore = dateResult{value: Value{Value: c.value.Value, Confidence: c.value.Confidence * score}, line: c.line}, score
		}
	}
	return best
}

// precededByPlace reports whether the date at rune offset start of the
// joined toks follows "Place," as in "Quảng Ngãi, ngày": one to five
// capitalised words before the comma that open the line or a column (a
// wide gap before them, as when the date line shares its baseline with the
// left column), not the end of a sentence ("lúc 06 giờ 41 phút, ngày").
func precededByPlace(toks []token, start int) bool {
	var before []token
	pos := 0
	for _, t := range toks {
		if t.text == "\t" {
			before = before[:0]
			continue
		}
		if pos >= start {
			break
		}
		if n := utf8.RuneCountInString(t.text); pos+n > start {
			// "ngày" glued to the place: "Vinh„ngày", "Mới,-ngày".
			t.text = string([]rune(t.text)[:start-pos])
		}
		before = append(before, t)
		pos += utf8.RuneCountInString(t.text) + 1
	}
	if len(before) == 0 || !endsWithComma(before[len(before)-1].text) {
		return false
	}
	k := len(before) - 1
	for k >= 0 && len(before)-k <= 5 {
		r, _ := utf8.DecodeRuneInString(before[k].text)
		if !unicode.IsUpper(r) {
			break
		}
		k--
	}
	if k == len(before)-1 {
		return false
	}
	first := before[k+1]
	// Specks between the column before and the place ("- Tuy Phước,")
	// are no words.
	for k >= 0 && !strings.ContainsFunc(before[k].text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		k--
	}
	if k < 0 {
		return true
	}
	prev := before[k]
	return prev.box != (image.Rectangle{}) && first.box.Min.X-prev.box.Max.X > 3*max(first.box.Dy(), 10)
}

// endsWithComma reports the comma after a place name, as the OCR reads it
// where "ngày" was glued on: ",", "„" or ";", perhaps with a dash.
func endsWithComma(s string) bool {
	s = strings.TrimRight(s, "-_")
	return strings.HasSuffix(s, ",") || strings.HasSuffix(s, "„") || strings.HasSuffix(s, ";")
}

// aloneOnRight reports a date that is a line of its own in the right half
// of the page, as the closing "Place, ngày … năm …" of a certificate or a
// certification is, with the place name too damaged to read: a few words
// before it, at most one after (a smudge), the line starting right of
// 40% of the page's width. A date in running text starts at the margin.
// toks is the line's right column (layout.right).
// start and end are rune offsets of the date in the joined toks.
func aloneOnRight(l line, toks []token, start, end int) bool {
	if !l.hasBoxes || l.pageWidth <= 0 || len(toks) == 0 || len(toks) != len(l.toks) {
		// toks is the right column of a line that has a left one.
		return false
	}
	if toks[0].box.Min.X*5 < l.pageWidth*2 {
		return false
	}
	before, after, pos := 0, 0, 0
	for _, t := range toks {
		switch {
		case pos+utf8.RuneCountInString(t.text) <= start:
			before++
		case pos >= end:
			after++
		}
		pos += utf8.RuneCountInString(t.text) + 1
	}
	return before <= 4 && after <= 1
}

// parseDayMonthYear reads the three parts; clean is false when letters had
// to be read as digits. ok is false unless the date exists.
func parseDayMonthYear(d, m, y string) (iso string, ok, clean bool) {
	clean = true
	num := func(s string, maxLen int) (int, bool) {
		s = strings.Trim(s, ".,")
		if s == "" || len([]rune(s)) > maxLen {
			return 0, false
		}
		t := mapDigits(s)
		if t != s {
			clean = false
		}
		// Digits only: strconv.Atoi would take a handwriting stroke
		// read as "+" for a sign ("+5").
		if strings.Trim(t, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(t)
		return n, err == nil
	}
	day, ok1 := num(d, 2)
	mon, ok2 := num(m, 2)
	yr, ok3 := num(y, 4)
	if !ok1 || !ok2 || !ok3 || yr < 1945 || yr > 2100 {
		return "", false, false
	}
	t := time.Date(yr, time.Month(mon), day, 0, 0, 0, 0, time.UTC)
	if t.Year() != yr || int(t.Month()) != mon || t.Day() != day {
		return "", false, false
	}
	return fmt.Sprintf("%04d-%02d-%02d", yr, mon, day), true, clean
}

var canCuRe = regexp.MustCompile(`^\W*c\S{1,2}n c[uư]\b`)

// headerLimit is the index of the last line that can belong to the header
// block: the line before the first body paragraph marker, or line 25.
func headerLimit(lines []line) int {
	for i, l := range lines {
		if i > 25 {
			return 25
		}
		f := l.fold()
		for _, k := range []string{"can cu", "kinh gui", "thuc hien", "theo de nghi"} {
			if strings.HasPrefix(f, k) {
				return i
			}
		}
		// "Củn cứ": a misread letter. The title ends the header too.
		if canCuRe.MatchString(f) || i > 2 && isUpperLine(l.toks) && startsTitle(l.text()) {
			return i
		}
	}
	return len(lines)
}

// isDateLabel reports form labels such as "Ngày, tháng, năm sinh:" and
// dates inside running text ("sinh ngày …", "cấp ngày …").
func isDateLabel(f string, at int) bool {
	before := strings.TrimSpace(f[:at])
	for _, k := range []string{"sinh", "cap", "den", "tu", "vao", "luc"} {
		if strings.HasSuffix(before, k) {
			return true
		}
	}
	return false
}
