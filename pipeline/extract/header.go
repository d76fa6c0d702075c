package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
	nLines := 0
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
		var good []token
		for k, t := range left {
			if (t.text == "-" || t.text == ",") && k > 0 && k+1 < len(left) {
				good = append(good, t)
				continue
			}
			if t.conf < 0.1 || t.conf < 0.3 && vietLetters(t.text) < 2 {
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
	v, restored := restoreHeader(raw)
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
func restoreHeader(s string) (string, bool) {
	words := strings.Fields(s)
	changed := false
	for i := 0; i < len(words); {
		matched := 0
		for n := min(7, len(words)-i); n >= 2; n-- {
			cand := strings.Join(words[i:i+n], " ")
			want, ok := restoreByFold[vntext.Fold(cand)]
			if !ok || want == "" {
				continue
			}
			if want != cand {
				if !lostMarks(words[i:i+n], strings.Fields(want)) {
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
		v, _ := restoreHeader(canonicalUpper(joinTokens(toks)))
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
func lostMarks(printed, want []string) bool {
	for k := range printed {
		if printed[k] == want[k] || isASCII(printed[k]) || k == 0 && isLevelWord(want[k]) {
			continue
		}
		return false
	}
	return true
}

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
