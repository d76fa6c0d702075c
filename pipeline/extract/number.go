package extract

import (
	"regexp"
	"strings"
	"unicode"
)

// typeAbbrevs are the type abbreviations of Phụ lục III, Nghị định
// 30/2020/NĐ-CP, keyed by their folded upper-case form (what they look like
// after OCR drops the stroke of Đ). Folded forms shared by two
// abbreviations (HD hướng dẫn / HĐ hợp đồng, DA dự án / ĐA đề án) are
// ambiguous and map to "" in restore: the printed form is kept.
var typeAbbrevs = []string{
	"NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA",
	"DA", "BC", "BB", "TTr", "HĐ", "CĐ", "GN", "TTh", "GUQ", "GM", "GGT",
	"GNP", "PG", "PC", "PB",
}

var abbrevByFold = func() map[string]string {
	m := map[string]string{}
	for _, a := range typeAbbrevs {
		k := foldUpper(a)
		if _, dup := m[k]; dup {
			m[k] = ""
			continue
		}
		m[k] = a
	}
	return m
}()

// orgParts are issuing-body abbreviations whose Đ OCR tends to lose.
var orgParts = map[string]string{"HDND": "HĐND", "DDBQH": "ĐĐBQH", "UBMTTQVN": "UBMTTQVN"}

func foldUpper(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case 'Đ', 'đ', 'Ð', 'Ɖ', 'ð':
			r = 'D'
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// IsTypeAbbrev reports whether s is a type abbreviation of Phụ lục III in
// its canonical spelling ("QĐ", "TTr").
func IsTypeAbbrev(s string) bool {
	for _, a := range typeAbbrevs {
		if a == s {
			return true
		}
	}
	return false
}

type numberResult struct {
	value  Value
	symbol string
	line   int
}

// soPrefix matches the folded "Số:" label and its OCR variants (S6:, Sô:,
// So:, $ố:) at the start of a token.
var soPrefix = regexp.MustCompile(`^[s$5][o06ô][:;.]?`)

func findNumber(lines []line, lay layout) numberResult {
	for i, l := range lines {
		if i > 40 || lay.stamp[i] {
			continue
		}
		toks := l.toks
		if l.hasBoxes {
			toks = lay.left(l)
		}
		for j := 0; j < len(toks) && j < 2; j++ {
			t := toks[j]
			if t.text == "" || !(t.text[0] == 'S' || t.text[0] == '$') {
				continue
			}
			loc := soPrefix.FindStringIndex(t.fold)
			if loc == nil {
				continue
			}
			// The label must be the whole token or be followed by a
			// colon or the number itself: "Số:", "Số: 86", "Số:86/…".
			rest := string([]rune(t.text)[len([]rune(t.fold[:loc[1]])):])
			if loc[1] == 2 && rest != "" && unicode.IsLetter([]rune(rest)[0]) {
				continue // "Sở", "Sổ", "Sóc": a word, not the label
			}
			if r, ok := parseNumberTokens(rest, t, toks[j+1:]); ok {
				r.line = i
				return r
			}
		}
	}
	// Household-business certificates: "Mã số hộ kinh doanh: 74C2044227".
	for i, l := range lines {
		f := l.fold()
		if k := strings.Index(f, "ma so ho kinh doanh"); k >= 0 && i <= 40 {
			_, after, ok := strings.Cut(l.text(), ":")
			if v := strings.TrimSpace(after); ok && v != "" && !strings.Contains(v, " ") {
				return numberResult{value: Value{Value: strings.ToUpper(v), Confidence: l.meanConf()}, line: -1}
			}
		}
	}
	// Land-use certificates print a serial on a line of its own; the
	// register entry ("Số vào sổ cấp GCN: CS 11224") is the fallback.
	for pass := 0; pass < 2; pass++ {
		for i, l := range lines {
			if lay.stamp[i] {
				continue
			}
			m := serialRe.FindStringSubmatchIndex(l.text())
			if m == nil || pass == 0 && len(l.toks) != 2 {
				continue
			}
			s := l.text()
			toks := spanTokens(l.toks, runeIndex(s, m[0]), runeIndex(s, m[1]))
			return numberResult{
				value: Value{Value: s[m[2]:m[3]] + " " + s[m[4]:m[5]], Confidence: (0.9 - 0.2*float64(pass)) * meanConf(toks)},
				line:  -1,
			}
		}
	}
	return numberResult{line: -1}
}

// serialRe is a certificate serial: two capital letters and 5 to 8 digits.
var serialRe = regexp.MustCompile(`(?:^|\s)([A-ZĐ]{2})\s?([0-9]{5,8})(?:$|\s|[.,;])`)

func runeIndex(s string, byteOff int) int { return len([]rune(s[:byteOff])) }

// parseNumberTokens gathers the number and notation following the label
// (rest is what remained of the label's own token) and parses them.
func parseNumberTokens(rest string, label token, next []token) (numberResult, bool) {
	cand := strings.TrimLeft(rest, ":;. ")
	used := []token{}
	if cand != "" {
		used = append(used, label)
	}
	for _, t := range next {
		if t.text == "\t" && cand == "" {
			continue // "Số:" with the number left blank on the form
		}
		if t.text == "\t" || len(used) >= 4 {
			break
		}
		if isWord(t.text) && !(strings.HasSuffix(cand, "-") || strings.HasPrefix(t.text, "-")) {
			break
		}
		if cand != "" && complete(cand) && !strings.HasSuffix(cand, "-") && !strings.HasPrefix(t.text, "-") && !strings.HasPrefix(t.text, "/") {
			break
		}
		cand += t.text
		used = append(used, t)
	}
	if cand == "" {
		return numberResult{}, false
	}
	return parseNumber(cand, meanConf(used))
}

// isWord reports a token of running text (a place name, "ngày"): two or
// more lower-case letters and no digit or slash.
func isWord(s string) bool {
	lower := 0
	for _, r := range s {
		if unicode.IsDigit(r) || r == '/' {
			return false
		}
		if unicode.IsLower(r) {
			lower++
		}
	}
	return lower >= 2 && !IsTypeAbbrev(strings.Trim(s, "-/"))
}

// complete reports whether cand already holds number/notation-notation.
func complete(cand string) bool {
	i := strings.IndexAny(cand, "/")
	return i >= 0 && strings.Contains(cand[i:], "-") && !strings.HasSuffix(cand, "-")
}

var (
	// slashMisread is "/" read as I, l, | or \ between a digit and the
	// notation's first capital.
	slashMisread = regexp.MustCompile(`([0-9OoIl])[Il|\\]([A-ZĐ])`)
	yearRe       = regexp.MustCompile(`^((?:19|20)[0-9]{2})/`)
)

// parseNumber parses "86/QĐ-UBND" and its noisy variants. conf is the OCR
// confidence of the words it came from.
func parseNumber(cand string, conf float64) (numberResult, bool) {
	penalty := 1.0
	s := strings.NewReplacer("Ð", "Đ", "Ɖ", "Đ", "–", "-", "—", "-", "\\", "/", " ", "").Replace(cand)
	s = strings.TrimRight(s, ".,;:")
	if !strings.Contains(s, "/") {
		if t := slashMisread.ReplaceAllString(s, "$1/$2"); t != s {
			s, penalty = t, penalty*0.9
		}
	}
	numPart, rest, hasSlash := strings.Cut(s, "/")
	year := ""
	if m := yearRe.FindStringSubmatch(mapDigits(rest)); m != nil && hasSlash {
		year, rest = m[1], rest[5:]
	}
	sym, symPenalty := canonicalNotation(rest)
	penalty *= symPenalty
	if hasSlash && sym == "" {
		return numberResult{}, false
	}
	digits, digitPenalty, readable := readDigits(numPart, sym != "")
	if !hasSlash && !readable {
		return numberResult{}, false
	}
	res := numberResult{symbol: symbolOf(sym)}
	switch {
	case readable:
		v := digits
		if year != "" {
			v += "/" + year
		}
		if sym != "" {
			v += "/" + sym
		}
		res.value = Value{Value: v, Confidence: clamp01(conf * penalty * digitPenalty)}
		if digitPenalty < 0.6 {
			res.value.Confidence = min(res.value.Confidence, 0.35)
		}
	default:
		v := "/" + sym
		if year != "" {
			v = "/" + year + v
		}
		res.value = Value{Value: v, Confidence: min(0.3, conf*penalty*0.4)}
	}
	return res, true
}

// mapDigits reads the letters OCR confuses with digits as digits: O/o as
// 0; I, l, i, | and ! as 1.
func mapDigits(s string) string {
	return strings.NewReplacer("O", "0", "o", "0", "I", "1", "l", "1", "i", "1", "|", "1", "!", "1").Replace(s)
}

// readDigits reads the number before the slash. Junk after clean digits
// ("86@", a handwriting stroke read as a sign) leaves a usable but doubtful
// number; junk before them may hide a lost digit ("@39" for 239), so the
// number is unreadable. A lone digit with junk, or a leading zero other
// than the NĐ30 form "04", is not believed either. The penalty is 1 for a
// clean read, 0.85 when letters were read as digits, 0.5 with junk.
func readDigits(raw string, withSymbol bool) (digits string, penalty float64, ok bool) {
	if raw == "" {
		return "", 0, false
	}
	m := mapDigits(raw)
	penalty = 1
	if m != raw {
		penalty = 0.85
	}
	start, end := -1, -1
	for i, r := range m {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			}
			end = i + 1
		}
	}
	if start < 0 {
		return "", 0, false
	}
	d := m[start:end]
	for _, r := range d {
		if r < '0' || r > '9' {
			return "", 0, false // junk between digits
		}
	}
	if start > 0 {
		return "", 0, false
	}
	junk := end < len(m)
	if strings.Trim(d, "0") == "" || len(d) > 6 {
		return "", 0, false
	}
	if junk {
		if len(d) < 2 || d[0] == '0' {
			return "", 0, false
		}
		return d, 0.5, true
	}
	if withSymbol && d[0] == '0' && len(d) != 2 {
		return "", 0, false
	}
	return d, penalty, true
}

// canonicalNotation upper-cases the notation and restores the canonical
// spelling of its type abbreviation and of known body abbreviations. The
// returned factor is below 1 when letters had to be restored or the type is
// ambiguous.
func canonicalNotation(s string) (string, float64) {
	s = strings.Trim(s, "-/.,;:")
	if s == "" {
		return "", 1
	}
	var parts []string
	for _, p := range strings.Split(s, "-") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "", 1
	}
	factor := 1.0
	for i, p := range parts {
		for _, r := range p {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '(' && r != ')' {
				factor *= 0.7
				break
			}
		}
		k := foldUpper(p)
		if i == 0 {
			if a, ok := abbrevByFold[k]; ok {
				switch {
				case a == "": // ambiguous once the stroke is lost
					parts[i] = strings.ToUpper(p)
					if !strings.ContainsRune(parts[i], 'Đ') {
						factor *= 0.85
					}
					continue
				case a != p:
					if strings.ToUpper(a) != strings.ToUpper(p) {
						factor *= 0.9
					}
					parts[i] = a
					continue
				default:
					continue
				}
			}
			if a, ok := nearAbbrev(k); ok && len(parts) > 1 {
				parts[i] = a
				factor *= 0.8
				continue
			}
		}
		if o, ok := orgParts[k]; ok {
			if o != strings.ToUpper(p) {
				factor *= 0.9
			}
			parts[i] = o
			continue
		}
		parts[i] = strings.ToUpper(p)
	}
	return strings.Join(parts, "-"), factor
}

// nearAbbrev finds the one type abbreviation within an edit of k, for
// OCR's doubled or dropped letters ("QĐÐ").
func nearAbbrev(k string) (string, bool) {
	if len(k) < 2 || len(k) > 4 {
		return "", false
	}
	found := ""
	for f, a := range abbrevByFold {
		if a == "" || len(f) < 2 {
			continue
		}
		if distance(f, k) == 1 && len(k) > len(f) && strings.HasPrefix(k, f) {
			if found != "" && found != a {
				return "", false
			}
			found = a
		}
	}
	return found, found != ""
}

// symbolOf returns the type abbreviation that opens a notation, or "".
func symbolOf(notation string) string {
	first, _, _ := strings.Cut(notation, "-")
	if IsTypeAbbrev(first) {
		return first
	}
	return ""
}

// SplitNumber splits a Number value into the code number and the notation
// (CodeNumber and CodeNotation): "86/QĐ-UBND" gives "86" and "QĐ-UBND",
// "05/2024/NQ-HĐND" gives "05/2024" and "NQ-HĐND", "/QĐ-UBND" gives "" and
// "QĐ-UBND".
func SplitNumber(v string) (code, notation string) {
	i := strings.LastIndex(v, "/")
	if i < 0 {
		return v, ""
	}
	return v[:i], v[i+1:]
}

var bookRe = regexp.MustCompile(`quyen\s*so\s*[:;.]?\s*([0-9oil|]{1,4})\s*/\s*([0-9oil|]{4})`)

// findBook reads "Quyển số: 01/2021" of a civil-status extract.
func findBook(lines []line, lay layout) Value {
	for i, l := range lines {
		if i > 60 || lay.stamp[i] {
			continue
		}
		f := l.fold()
		m := bookRe.FindStringSubmatchIndex(f)
		if m == nil {
			continue
		}
		a, b := mapDigits(f[m[2]:m[3]]), mapDigits(f[m[4]:m[5]])
		conf := meanConf(spanTokens(l.toks, runeIndex(f, m[0]), runeIndex(f, m[1])))
		if a != f[m[2]:m[3]] || b != f[m[4]:m[5]] {
			conf *= 0.85
		}
		return Value{Value: a + "/" + b, Confidence: conf}
	}
	return Value{}
}
