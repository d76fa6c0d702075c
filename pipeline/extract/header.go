package extract

import (
	"strings"

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
	for i := 0; i < end && i < len(lines) && nLines < 3; i++ {
		if lay.stamp[i] {
			continue
		}
		left := lay.left(lines[i])
		var good []token
		for _, t := range left {
			if t.conf < 0.1 || t.conf < 0.3 && vietLetters(t.text) < 2 || !isUpperLine([]token{t}) && !isHeaderAbbrev(t.text) {
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
