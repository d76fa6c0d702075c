package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"sohoa/pipeline/vntext"
)

// Titles are the title lines extraction recognises, in canonical spelling.
// Longer titles come first where one begins with another.
var Titles = []string{
	"GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT",
	"GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT",
	"GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
	"GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
	"GIẤY CHỨNG NHẬN KẾT HÔN",
	"GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
	"GIẤY PHÉP XÂY DỰNG",
	"GIẤY KHAI SINH",
	"GIẤY CHỨNG TỬ",
	"GIẤY MỜI",
	"GIẤY ỦY QUYỀN",
	"GIẤY GIỚI THIỆU",
	"TRÍCH LỤC KHAI SINH",
	"TRÍCH LỤC KẾT HÔN",
	"TRÍCH LỤC KHAI TỬ",
	"BẢN SAO",
	"QUYẾT ĐỊNH",
	"CHỈ THỊ",
	"THÔNG BÁO",
	"THÔNG CÁO",
	"BÁO CÁO",
	"TỜ TRÌNH",
	"KẾ HOẠCH",
	"NGHỊ QUYẾT",
	"QUY CHẾ",
	"QUY ĐỊNH",
	"HƯỚNG DẪN",
	"CHƯƠNG TRÌNH",
	"PHƯƠNG ÁN",
	"ĐỀ ÁN",
	"BIÊN BẢN",
	"HỢP ĐỒNG",
	"CÔNG ĐIỆN",
}

var titleFolds = func() []string {
	out := make([]string, len(Titles))
	for i, t := range Titles {
		out[i] = vntext.Fold(t)
	}
	return out
}()

// MatchTitle fuzzy-matches a title line on folded text, tolerating a
// misread letter or two ("QUYÉT ĐỊNH", "OUYẾT ĐỊNH"). It returns the
// canonical title and the edit distance.
func MatchTitle(s string) (title string, dist int, ok bool) {
	f := strings.TrimFunc(vntext.Fold(s), func(r rune) bool { return !unicode.IsLetter(r) })
	f = strings.Join(strings.Fields(f), " ")
	if f == "" {
		return "", 0, false
	}
	best, bestDist := -1, 1<<30
	for i, t := range titleFolds {
		d := distance(f, t)
		if d <= tolerance(len([]rune(t))) && d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		return "", 0, false
	}
	return Titles[best], bestDist, true
}

func matchTitle(s string) (string, bool) {
	t, _, ok := MatchTitle(s)
	return t, ok
}

type titleResult struct {
	value Value
	// line is the title's line; subjectLine is where the subject starts
	// (-1 when there is none); inline holds subject words that follow the
	// title on its own line.
	line, subjectLine int
	inline            []token
}

var (
	// sectionRe opens a numbered section ("I. Người sử dụng đất", "1.").
	sectionRe = regexp.MustCompile(`^([ivx]+|[0-9]+|[a-z])[.)]\s`)
	vvRe      = regexp.MustCompile(`^[vy]\s?[/il|1\\]\s?[vy]\b\.?`)
	veViecRe  = regexp.MustCompile(`^(v[eac]\s?v[i1l]e[ce]c?)\b`)
)

func startsSubject(f string) bool {
	return vvRe.MatchString(f) || veViecRe.MatchString(f)
}

// findTitle looks below the number and date lines for the capitalised
// title, or for a subject that starts without one (a letter's "V/v").
func findTitle(lines []line, lay layout) titleResult {
	start := lay.numberLine + 1
	if lay.dateLine >= 0 && (lay.numberLine < 0 || lay.dateLine < lay.numberLine+8) {
		start = max(start, lay.dateLine+1)
	}
	// A letter's "V/v" sits right under its number, above the date line.
	if lay.numberLine >= 0 {
		for i := lay.numberLine + 1; i < len(lines) && i <= lay.numberLine+3; i++ {
			if vvRe.MatchString(strings.TrimSpace(vntext.Fold(joinTokens(lay.left(lines[i]))))) {
				return titleResult{line: -1, subjectLine: i}
			}
		}
	}
	if start == 0 {
		start = firstNonHeader(lines, lay)
	}
	res := titleResult{line: -1, subjectLine: -1}
	// skipped counts lines passed over that are neither title nor
	// subject: on a degraded scan, the number or date line read with
	// junk, or seal bleed read as words.
	skipped := 0
	skip := func(f string) bool {
		if skipped >= 2 || isFirstStop(f) || sectionRe.MatchString(f) {
			return false
		}
		skipped++
		return true
	}
	for i := start; i < len(lines) && i < start+8; i++ {
		l := lines[i]
		if lay.stamp[i] || isJunkLine(l) {
			continue
		}
		toks := trimSpecks(withoutTabs(l.toks))
		if len(toks) == 0 {
			continue
		}
		f := strings.TrimSpace(vntext.Fold(joinTokens(toks)))
		if isPreamble(f) || isNumberOrDateLine(toks, f, i) {
			continue
		}
		if startsSubject(f) {
			res.subjectLine = i
			return res
		}
		// The upper-case run at the start of the line.
		n := 0
		for n < len(toks) && isUpperToken(toks[n]) {
			n++
		}
		if n == 0 {
			if skip(f) {
				continue
			}
			return res
		}
		run := toks[:n]
		title, dist, ok := MatchTitle(joinTokens(run))
		used := 1
		// Titles wrapped over two lines (land-use certificates).
		if i+1 < len(lines) && n == len(toks) {
			next := withoutTabs(lines[i+1].toks)
			if isUpperLine(next) {
				joined := append(append([]token{}, run...), next...)
				if t2, d2, ok2 := MatchTitle(joinTokens(joined)); ok2 && (!ok || len(t2) > len(title)) {
					title, dist, ok, run, used = t2, d2, true, joined, 2
				}
			}
		}
		conf := meanConf(run)
		switch {
		case ok:
			conf *= 1 - 0.1*float64(dist)
		case len(run) >= 2 && i <= start+2 && skipped == 0:
			// An unknown title in the title's place: keep it as printed.
			title = strings.ToUpper(joinTokens(run))
			conf *= 0.6
		default:
			if skip(f) {
				continue
			}
			return res
		}
		res.value = Value{Value: title, Confidence: clamp01(conf)}
		res.line = i
		if used == 1 && n < len(toks) {
			res.inline = toks[n:]
		}
		res.subjectLine = i + used
		return res
	}
	return res
}

// trimSpecks drops the tokens at either end of toks that hold no letter or
// digit ("|", "—", "_", "`": seal bleed, dust, a rule under the motto) and
// the specks glued to the end tokens' edges.
func trimSpecks(toks []token) []token {
	isSpeck := func(t token) bool {
		return t.text != "\t" && vietLetters(t.text) == 0 && digitsIn(t.text) == 0 && !strings.Contains(t.text, "0")
	}
	for len(toks) > 0 && isSpeck(toks[0]) {
		toks = toks[1:]
	}
	for len(toks) > 0 && isSpeck(toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return toks
	}
	toks = append([]token(nil), toks...)
	for _, k := range []int{0, len(toks) - 1} {
		t := toks[k]
		if tt := strings.TrimLeft(t.text, specks+"-—.,:;"); k == 0 && tt != "" && tt != t.text {
			toks[k] = newToken(tt, t.conf, t.box)
		}
	}
	return toks
}

// isNumberOrDateLine reports the number line or the place-and-date line
// when OCR damaged them too much to be read as such (the handwriting in
// them read as junk), so the title search passes over them.
func isNumberOrDateLine(toks []token, f string, i int) bool {
	if _, _, ok := numberLabel(toks, i); ok {
		return true
	}
	return looseDateRe.MatchString(f)
}

// looseDateRe is a place-and-date line whatever its day was read as.
var looseDateRe = regexp.MustCompile(`nga[yv].{0,12}th\S{0,2}ng.{0,8}n\S?m\s*[0-9oil|]{4}`)

func withoutTabs(toks []token) []token {
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if t.text != "\t" {
			out = append(out, t)
		}
	}
	return out
}

// isUpperToken: a word in capitals, or punctuation inside a title.
func isUpperToken(t token) bool {
	letters, upper := letterStats(t.text)
	if letters == 0 {
		return t.text == "," || t.text == "-"
	}
	return upper == letters
}

// firstNonHeader is where the title search starts when neither the number
// nor the date was found: after the motto and header lines.
func firstNonHeader(lines []line, lay layout) int {
	last := -1
	for i, l := range lines {
		if i > 15 {
			break
		}
		f := l.fold()
		// Not "Việt Nam" alone: "Quốc tịch: Việt Nam" is in the body.
		if strings.Contains(f, "doc lap") || strings.Contains(f, "hanh phuc") || strings.Contains(f, "nghia viet nam") {
			last = i
		}
	}
	return last + 1
}

// subjectStops begin lines that are not part of the subject.
var subjectStops = []string{
	"can cu", "kinh gui", "chu tich", "thuc hien", "theo de nghi", "xet de nghi",
	"dieu ", "noi nhan", "uy ban nhan dan", "hoi dong nhan dan", "quyet dinh",
	"ho, chu dem", "ho va ten", "ho ten",
}

// findSubject reads the trích yếu that starts where findTitle says.
func findSubject(lines []line, lay layout, title titleResult) Value {
	var toks []token
	var prev *line
	var prevToks []token
	// letter is set for a "V/v" subject, set in a narrow column whose
	// every line is short.
	letter := false
	i := title.subjectLine
	if len(title.inline) > 0 {
		toks = append(toks, title.inline...)
		l := lines[title.line]
		prev = &l
	} else {
		// Skip junk (seal bleed, stamp images) before the subject.
		for i >= 0 && i < len(lines) && i < title.subjectLine+3 && (isJunkLine(lines[i]) || lay.stamp[i]) {
			i++
		}
	}
	if i < 0 || i > len(lines) {
		return Value{}
	}
	for n := 0; i < len(lines) && n < 5; i, n = i+1, n+1 {
		l := lines[i]
		if lay.stamp[i] {
			continue
		}
		lt := withoutTabs(l.toks)
		if len(toks) > 0 || !l.hasBoxes {
			// A letter's subject sits in the left column, beside the
			// right column's "Kính gửi"; text lines split at tabs.
			lt = subjectColumn(l, lay)
		}
		f := strings.TrimSpace(vntext.Fold(joinTokens(lt)))
		if len(toks) > 0 || len(title.inline) > 0 {
			if l.gapBefore || isStop(f) || isUpperLine(lt) || isJunkLine(l) || (prev != nil && (verticalBreak(*prev, l) || !centredUnder(*prev, l))) {
				break
			}
			// Without boxes a wrapped subject is told from the body by
			// its continuation starting mid-sentence.
			if !l.hasBoxes && !letter && !continues(joinTokens(toks[max(0, len(toks)-len(prevToks)):]), joinTokens(lt)) {
				break
			}
			if strings.HasSuffix(strings.TrimSpace(f), ":") || strings.Contains(f, "kinh moi") {
				break
			}
		} else if strings.HasPrefix(f, "(") || sectionRe.MatchString(f) || isFirstStop(f) || isUpperLine(lt) || strings.Contains(f, ":") && !startsSubject(f) {
			return Value{}
		}
		if len(toks) == 0 {
			letter = vvRe.MatchString(f)
		}
		toks = append(toks, lt...)
		prevToks = lt
		prev = &lines[i]
	}
	toks = dropSpecks(toks)
	if len(toks) == 0 {
		return Value{}
	}
	s := joinTokens(toks)
	// A trích yếu is not a sentence: a final full stop is a speck.
	s = strings.TrimRight(s, ". ")
	conf := meanConf(toks)
	s, prefixed := normaliseSubjectPrefix(s)
	if !prefixed {
		conf *= 0.8
	}
	return Value{Value: strings.Join(strings.Fields(s), " "), Confidence: clamp01(conf)}
}

// dropSpecks removes the tokens of a subject that hold no letter or digit
// (seal bleed read as ".", "_", "|") but keeps the dashes inside it ("kinh
// tế - kỹ thuật"), and trims the specks off its ends.
func dropSpecks(toks []token) []token {
	toks = trimSpecks(toks)
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if vietLetters(t.text) == 0 && digitsIn(t.text) == 0 && !strings.Contains(t.text, "0") {
			switch t.text {
			case "-", "–", "—", ",", "&", "%":
			default:
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

func subjectColumn(l line, lay layout) []token {
	out := []token{}
	for _, t := range l.toks {
		if t.text == "\t" {
			if len(out) > 0 {
				break
			}
			continue
		}
		out = append(out, t)
	}
	return out
}

func isStop(f string) bool {
	for _, k := range subjectStops {
		if strings.HasPrefix(f, k) {
			return true
		}
	}
	return false
}

// verticalBreak reports a paragraph gap between two lines with boxes.
func verticalBreak(a, b line) bool {
	if !a.hasBoxes || !b.hasBoxes {
		return false
	}
	ab, bb := a.box(), b.box()
	gap := bb.Min.Y - ab.Max.Y
	return gap > ab.Dy()*6/10
}

// centredUnder reports whether b, read with boxes, is centred under a as
// the wrapped lines of a subject are; the body paragraph that follows is
// indented and runs to the right margin. Lines without boxes pass.
func centredUnder(a, b line) bool {
	if !a.hasBoxes || !b.hasBoxes {
		return true
	}
	ta, tb := trimSpecks(a.toks), trimSpecks(b.toks)
	if len(ta) == 0 || len(tb) == 0 {
		return true
	}
	ab, bb := line{toks: ta}.box(), line{toks: tb}.box()
	left, right := bb.Min.X-ab.Min.X, ab.Max.X-bb.Max.X
	d := left - right
	if d < 0 {
		d = -d
	}
	return d <= max(40, ab.Dx()/25)
}

// normaliseSubjectPrefix writes the prefix canonically ("Vềviệc", "Và
// việc" → "Về việc"; "V/V", "VIv" → "V/v") and reports whether there was
// one.
func normaliseSubjectPrefix(s string) (string, bool) {
	f := vntext.Fold(s)
	if m := vvRe.FindStringIndex(f); m != nil {
		return "V/v " + strings.TrimSpace(string([]rune(s)[runeIndex(f, m[1]):])), true
	}
	if m := veViecRe.FindStringIndex(f); m != nil {
		return "Về việc " + strings.TrimSpace(string([]rune(s)[runeIndex(f, m[1]):])), true
	}
	return s, false
}

// isPreamble reports lines between the number and the title: the motto,
// the register, the date line, the copy marks.
func isPreamble(f string) bool {
	switch {
	case strings.Contains(f, "cong hoa xa hoi"), strings.Contains(f, "doc lap"),
		strings.Contains(f, "hanh phuc"), strings.HasPrefix(f, "quyen so"),
		f == "ban sao", f == "(ban sao)", f == "(ban chinh)", f == "ban chinh":
		return true
	}
	return dateRe.MatchString(f) && strings.Contains(f, ",")
}

// continues decides, for text without boxes, whether next continues the
// subject line prev: it starts mid-sentence, or it is the short remainder
// of a long line that did not end a sentence (body paragraphs run the full
// width).
func continues(prev, next string) bool {
	for _, r := range next {
		if unicode.IsLower(r) || unicode.IsDigit(r) {
			return true
		}
		break
	}
	p, n := utf8.RuneCountInString(prev), utf8.RuneCountInString(next)
	return p >= 50 && n < p*8/10 && !strings.HasSuffix(prev, ".") && !strings.HasSuffix(prev, ":")
}

// isFirstStop reports lines that cannot open a subject.
func isFirstStop(f string) bool {
	for _, k := range []string{"can cu", "kinh gui", "chu tich", "dieu ", "noi nhan", "uy ban nhan dan", "hoi dong nhan dan", "ho, chu dem"} {
		if strings.HasPrefix(f, k) {
			return true
		}
	}
	return false
}
