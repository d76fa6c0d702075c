package extract

import (
	"regexp"
	"strings"

	"sohoa/pipeline/vntext"
)

type certification struct {
	number, book, issued Value
}

// certNumberRe reads "Số chứng thực: 2413, quyển số: 03/2017-SCT/BS", with
// "Số" as OCR may read it under the seal ("S0").
var certNumberRe = regexp.MustCompile(`s[o0] chung thuc\s*[:;.]?\s*([0-9oil|]{1,7})\s*[,;.]?\s*(?:quyen so\s*[:;.]?\s*(\S+))?`)

// findCertification reads the certification block a certified copy
// carries ("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", its number and
// register, then the place-and-date line of the certification).
func findCertification(lines []line) (certification, bool) {
	mark := -1
	for i, l := range lines {
		if isMarkLine(l.fold()) {
			mark = i
			break
		}
	}
	if mark < 0 {
		return certification{}, false
	}
	var c certification
	for i := mark; i < len(lines) && i <= mark+4; i++ {
		l := lines[i]
		f := l.fold()
		if m := certNumberRe.FindStringSubmatchIndex(f); m != nil && c.number.Value == "" {
			conf := meanConf(spanTokens(l.toks, runeIndex(f, m[0]), runeIndex(f, m[1])))
			digits, pen, ok := readDigits(f[m[2]:m[3]], false)
			if ok {
				c.number = Value{Value: digits, Confidence: conf * pen}
			}
			if m[4] >= 0 {
				s := l.text()
				b := strings.TrimRight(string([]rune(s)[runeIndex(f, m[4]):runeIndex(f, m[5])]), ".,;")
				if b != "" { // "quyển số," with the register unread
					c.book = Value{Value: strings.ToUpper(b), Confidence: conf}
				}
			}
			continue
		}
		if d := findDate(lines[i:i+1], layout{stamp: map[int]bool{}, numberLine: -1, dateLine: -1}); d.value.Value != "" {
			c.issued = d.value
			break
		}
	}
	// The stamp alone makes the document a certified copy: its fields
	// are the certification's even when OCR lost its number or date
	// (left empty for a person to fill), never the copied document's.
	return c, true
}

const certMark = "chung thuc ban sao dung voi ban chinh"

// isMarkLine reports a folded line that is the certification stamp's
// heading, allowing OCR a misread letter or two.
func isMarkLine(f string) bool {
	f = strings.Join(strings.Fields(strings.Trim(f, " .:")), " ")
	if len(f) < 20 || len(f) > len(certMark)+6 {
		return false
	}
	if distance(f, certMark) <= 3 {
		return true
	}
	// The seal may take the stamp's first letters: what is left before
	// "bản sao đúng với bản chính" must be the end of "chứng thực", not a
	// sentence that happens to end so ("…chỉ chứng thực khi bản sao đúng
	// với bản chính").
	const tail = "ban sao dung voi ban chinh"
	head, ok := strings.CutSuffix(f, tail)
	if !ok {
		return false
	}
	head = strings.TrimSpace(head)
	want := "chung thuc"
	if len(head) > len(want) {
		return false
	}
	return distance(head, want[len(want)-len(head):]) <= 2
}

// IsCertificationMark reports whether text has a line of its own that is
// a certified copy's stamp ("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH").
func IsCertificationMark(text string) bool {
	for _, ln := range strings.Split(text, "\n") {
		if isMarkLine(vntext.Fold(ln)) {
			return true
		}
	}
	return false
}
