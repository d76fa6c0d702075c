package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sohoa/pipeline/vntext"
)

// headerPhrases are the parent bodies and agency words a header begins
// with, in the spelling of Nghị định 30's forms.
var headerPhrases = []string{
	"ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "UBND", "HĐND", "CÔNG AN",
	"VĂN PHÒNG", "PHÒNG", "SỞ", "BAN", "CHI CỤC", "TRUNG TÂM", "BỘ", "CỤC",
	"TÒA ÁN NHÂN DÂN", "VIỆN KIỂM SÁT NHÂN DÂN", "ĐẢNG ỦY", "MẶT TRẬN TỔ QUỐC",
	"BỘ CHỈ HUY QUÂN SỰ", "CHI NHÁNH VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI",
}

// restoreByFold maps the folded form of unit names and header phrases to
// their spelling; folded forms shared by two spellings map to "".
var restoreByFold = func() map[string]string {
	m := map[string]string{}
	add := func(s string) {
		k := vntext.Fold(s)
		if old, ok := m[k]; ok && old != s {
			m[k] = ""
			return
		}
		m[k] = s
	}
	for _, s := range unitNames {
		add(canonicalUpper(s))
	}
	for _, s := range headerPhrases {
		if strings.Contains(s, " ") {
			add(s)
		}
	}
	return m
}()

// canonicalUpper upper-cases s in NFC and writes UỶ as ỦY.
func canonicalUpper(s string) string {
	s = strings.ToUpper(vntext.NFC(s))
	return strings.NewReplacer("UỶ", "ỦY", "UỸ", "ŨY").Replace(s)
}

// findIssuer reads the header's left column above the number line.
func findIssuer(lines []line, lay layout) Value {
	end := -1
	for _, i := range []int{lay.numberLine, lay.dateLine} {
		if i >= 0 && (end < 0 || i < end) {
			end = i
		}
	}
	if end < 0 {
		end = 20
	}
	var kept []token
	nLines, unsure := 0, 0
	// The last header line can share its baseline with the number or the
	// date line, so that line is read too (its left part).
	for i := 0; i <= end && i < len(lines) && nLines < 3; i++ {
		if lay.stamp[i] {
			continue
		}
		if startsTitle(joinTokens(lines[i].toks)) {
			break // the title: the header is over, or there is none
		}
		if crossesCutoff(lines[i], lay) {
			if nLines > 0 {
				break // a centred or body line below the header
			}
			continue // stamp residue above it
		}
		left := lay.left(lines[i])
		// The header is over where the number begins, even on the
		// number's own line: "XÃ HOẰNG LỘC Số: 12/TB-UBND".
		if j, _, ok := numberLabel(left, i); ok && (i == lay.numberLine || strings.ContainsAny(left[j].text, ":;")) {
			left = left[:j]
		}
		for k, t := range left {
			if strings.ContainsAny(t.text, "/\\") {
				left = left[:k]
				break
			}
		}
		if len(left) == 0 {
			if i == lay.numberLine {
				break
			}
			continue
		}
		var good []token
		for k, t := range left {
			// Specks glued to a word: "_UBND".
			if tt := strings.Trim(t.text, specks); tt != "" {
				t.text = tt
			}
			if (t.text == "-" || t.text == ",") && k > 0 && k+1 < len(left) {
				good = append(good, t)
				continue
			}
			if t.conf < 0.1 || t.conf < 0.3 && vietLetters(t.text) < 2 {
				if len(good) > 0 && vietLetters(t.text) >= 2 && isUpperLine([]token{t}) {
					unsure++ // a word of the name OCR could not read
				}
				continue
			}
			// "PHƯỜNG 1", "XÃ LONG HƯNG A": a number or a single capital
			// after the first word.
			short := k > 0 && (isNumber(t.text) || utf8.RuneCountInString(t.text) == 1 && unicode.IsUpper([]rune(t.text)[0]))
			if !short && !isUpperLine([]token{t}) && !isHeaderAbbrev(t.text) {
				continue
			}
			good = append(good, t)
		}
		if len(good) == 0 || float64(len(good)) < 0.6*float64(len(left)) {
			continue
		}
		// A title line ("QUYẾT ĐỊNH") below the header is not part of it.
		if _, ok := matchTitle(joinTokens(good)); ok {
			break
		}
		kept = append(kept, good...)
		nLines++
	}
	if len(kept) == 0 {
		return Value{}
	}
	raw := canonicalUpper(joinTokens(kept))
	confs := make([]float64, 0, len(kept))
	for _, t := range kept {
		for range strings.Fields(t.text) {
			confs = append(confs, t.conf)
		}
	}
	v, restored := restoreHeader(raw, confs)
	conf := meanConf(kept)
	if !lay.mottoFound && lines[0].hasBoxes {
		conf *= 0.85
	}
	if !startsWithHeaderPhrase(v) {
		conf *= 0.8
	}
	if restored {
		conf *= 0.95
	}
	if unsure > 0 {
		// "XÃ BÌNH" of "XÃ BÌNH CHÁNH": a name may be cut short.
		conf *= 0.7
	}
	return Value{Value: v, Confidence: clamp01(conf)}
}

func isHeaderAbbrev(s string) bool {
	u := strings.ToUpper(s)
	return u == s && (strings.HasPrefix(u, "UBND") || strings.HasPrefix(u, "HĐND"))
}

func startsWithHeaderPhrase(v string) bool {
	for _, p := range headerPhrases {
		if strings.HasPrefix(v, p+" ") || v == p {
			return true
		}
	}
	return false
}

// restoreHeader puts back diacritics OCR lost in known phrases and unit
// names ("TINH QUANG NGAI" → "TỈNH QUẢNG NGÃI"): a run of words is
// replaced only when it folds to exactly one known spelling.
//
// confs are the OCR confidences of the words (nil when unknown): a word
// OCR gave a wrong mark ("HOĂNG", "CẢM") is restored only when OCR was
// unsure of it, since a name missing from the catalogue may differ from a
// listed one by a mark alone.
func restoreHeader(s string, confs []float64) (string, bool) {
	words := strings.Fields(s)
	if len(confs) != len(words) {
		confs = nil
	}
	changed := false
	for i := 0; i < len(words); {
		matched := 0
		for n := min(7, len(words)-i); n >= 2; n-- {
			cand := strings.Join(words[i:i+n], " ")
			want, ok := restoreByFold[vntext.Fold(cand)]
			if !ok || want == "" {
				continue
			}
			if want != cand && !sameWords(words[i:i+n], strings.Fields(want)) {
				var c []float64
				if confs != nil {
					c = confs[i : i+n]
				}
				if !lostMarks(words[i:i+n], strings.Fields(want), c, isHeaderPhrase[want]) {
					break
				}
				copy(words[i:i+n], strings.Fields(want))
				changed = true
			}
			matched = n
			break
		}
		if matched == 0 {
			matched = 1
		}
		i += matched
	}
	return strings.Join(words, " "), changed
}

// signerIssuer reads the issuing body from the signature block ("TM. ỦY
// BAN NHÂN DÂN HUYỆN DI LINH") of forms that print no header, such as
// land-use certificates.
func signerIssuer(lines []line) Value {
	for _, l := range lines {
		f := l.fold()
		if !strings.HasPrefix(f, "tm.") && !strings.HasPrefix(f, "tm ") {
			continue
		}
		toks := l.toks[1:]
		if len(toks) < 2 || !isUpperLine(toks) {
			continue
		}
		v, _ := restoreHeader(canonicalUpper(joinTokens(toks)), nil)
		return Value{Value: v, Confidence: 0.7 * meanConf(toks)}
	}
	return Value{}
}

// crossesCutoff reports a line with a word straddling the column cutoff.
func crossesCutoff(l line, lay layout) bool {
	if !l.hasBoxes || lay.cutoff == 0 {
		return false
	}
	for _, t := range l.toks {
		if t.box.Min.X < lay.cutoff && t.box.Max.X > lay.cutoff+10 {
			return true
		}
	}
	return false
}

// startsTitle reports a line that is a known title or the first line of
// one wrapped over two ("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU
// NHÀ").
func startsTitle(s string) bool {
	if _, ok := matchTitle(s); ok {
		return true
	}
	f := strings.Join(strings.Fields(vntext.Fold(s)), " ")
	if len(f) < 12 {
		return false
	}
	for _, t := range titleFolds {
		if strings.HasPrefix(t, f) {
			return true
		}
	}
	return false
}

// lostMarks reports whether printed differs from want only where OCR lost
// diacritics (a word printed without any) or misread the level word that
// opens a unit name (TĨNH for TỈNH): a printed ĐIỆN is not turned into
// another commune's ĐIỀN.
//
// A header phrase ("HỘI ĐÔNG NHÂN DẪN") is always restored: it is not a name
// that could be another. In a unit name, a word with a wrong mark is
// restored when OCR's confidence in it (confs, nil when unknown) was below
// sureMark.
func lostMarks(printed, want []string, confs []float64, phrase bool) bool {
	for k := range printed {
		if printed[k] == want[k] || isASCII(printed[k]) || k == 0 && isLevelWord(want[k]) || phrase {
			continue
		}
		if confs != nil && confs[k] < sureMark {
			continue
		}
		return false
	}
	return true
}

// sureMark is the word confidence from which a mark OCR read is believed.
// Tesseract reads printed header words at 0.95 and more; misread marks came
// at 0.68 to 0.90 on the degraded scans of testdata/degraded.
const sureMark = 0.92

// sameWords reports whether a and b are the same words spelt with the tone
// mark on another vowel (the old and new rules: "HOÀ" and "HÒA", "UỶ" and
// "ỦY"): the printed spelling is kept.
func sameWords(a, b []string) bool {
	for k := range a {
		if toneKey(a[k]) != toneKey(b[k]) {
			return false
		}
	}
	return true
}

// toneKey is w without its tone mark, followed by the tone mark.
func toneKey(w string) string {
	var base, tone []rune
	for _, r := range norm.NFD.String(w) {
		switch r {
		case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
			tone = append(tone, r)
		default:
			base = append(base, r)
		}
	}
	return string(base) + "|" + string(tone)
}

// specks are the characters seal bleed and dust add to a word's edges.
const specks = "_|`'\"~*^‘’“”"

var isHeaderPhrase = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range headerPhrases {
		m[p] = true
	}
	return m
}()

func isASCII(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			return false
		}
	}
	return true
}

func isLevelWord(s string) bool {
	switch s {
	case "TỈNH", "HUYỆN", "XÃ", "QUẬN", "PHƯỜNG", "THỊ", "THÀNH":
		return true
	}
	return false
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
