package extract

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sohoa/pipeline/vntext"
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
var orgParts = map[string]string{"UBND": "UBND", "HDND": "HĐND", "DDBQH": "ĐĐBQH", "UBMTTQVN": "UBMTTQVN"}

// foldUpper upper-cases s without marks, Đ as D: notations hold no
// Vietnamese letter but Đ, so any other mark ("ÑQ") is OCR's.
func foldUpper(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case 'Đ', 'đ', 'Ð', 'Ɖ', 'ð':
			r = 'D'
		default:
			if unicode.IsLetter(r) {
				r = vntext.FoldRune(r)
			}
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
		if j, rest, ok := numberLabel(toks, i); ok {
			if r, ok := parseNumberTokens(rest, toks[j], toks[j+1:]); ok {
				r.line = i
				return r
			}
		}
	}
	// Household-business certificates: "Mã số hộ kinh doanh: 74C2044227".
	// The code is the first word after the label; the OCR adds specks
	// before and after it ("Mã số hộ kinh doanh: 77A6952546 :").
	for i, l := range lines {
		const label = "ma so ho kinh doanh"
		f := l.fold()
		k := strings.Index(f, label)
		if k < 0 || i > 40 {
			continue
		}
		after := []rune(l.text())[runeIndex(f, k)+len(label):]
		v, _, _ := strings.Cut(strings.TrimLeft(string(after), " :;."), " ")
		if v = strings.TrimRight(v, ".,;:"); isBusinessCode(v) {
			return numberResult{value: Value{Value: strings.ToUpper(v), Confidence: l.meanConf()}, line: -1}
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

// isBusinessCode reports a household business's code as printed: six or
// more letters and digits, digits among them ("74C2044227").
func isBusinessCode(v string) bool {
	digits := 0
	for _, r := range v {
		switch {
		case unicode.IsDigit(r):
			digits++
		case !unicode.IsLetter(r):
			return false
		}
	}
	return utf8.RuneCountInString(v) >= 6 && digits > 0
}

// serialRe is a certificate serial: two capital letters and 5 to 8 digits.
var serialRe = regexp.MustCompile(`(?:^|\s)([A-ZĐ]{2})\s?([0-9]{5,8})(?:$|\s|[.,;])`)

func runeIndex(s string, byteOff int) int { return len([]rune(s[:byteOff])) }

// numberLabel finds the "Số:" label among the first tokens of a line: j is
// its token and rest what follows the label inside that token ("86/…" of
// "Số:86/…"). OCR of a degraded scan reads the label as "số:", "SỐ:",
// "S6:", "Sô", "$ố:", sometimes after a speck read as "|". Only specks
// may precede it, so "Quyển số:" is not the label; a lower-case "số"
// without a colon counts only near the top of the page, where body text
// ("số hóa …") does not start yet.
func numberLabel(toks []token, i int) (j int, rest string, ok bool) {
	height := typicalHeight(toks)
	for j = 0; j < len(toks) && j < 3; j++ {
		t := toks[j]
		if t.text == "" || t.text == "\t" {
			continue
		}
		if !t.box.Empty() && t.box.Dy()*3 < height {
			continue // a speck of noise the OCR spelt as a word ("Si")
		}
		loc := soPrefix.FindStringIndex(t.fold)
		if loc == nil || !strings.ContainsRune("Ss$5", rune(t.text[0])) {
			if t.conf < 0.5 && !t.box.Empty() && !strings.ContainsFunc(t.text, unicode.IsLower) {
				continue // a seal's or a stamp's junk ("“'AD;"), not a word
			}
			if vietLetters(t.text) >= 1 || digitsIn(t.text) > 0 {
				return 0, "", false // a word before: "Quyển số:", body text
			}
			continue
		}
		// The label must be the whole token or be followed by a
		// colon or the number itself: "Số:", "Số: 86", "Số:86/…".
		rest = string([]rune(t.text)[len([]rune(t.fold[:loc[1]])):])
		if loc[1] == 2 && rest != "" && unicode.IsLetter([]rune(rest)[0]) {
			return 0, "", false // "Sở", "Sổ", "Sóc": a word, not the label
		}
		colon := strings.ContainsAny(t.fold[:loc[1]], ":;")
		if !colon && strings.ContainsAny(t.text, "ơởỡờớợỞỠỜỚỢƠổỔ") {
			return 0, "", false // "Sở Xây dựng", "Sổ": words
		}
		if t.text[0] != 'S' && t.text[0] != '$' && !colon && i > 12 {
			return 0, "", false
		}
		return j, rest, true
	}
	return 0, "", false
}

// typicalHeight is the median height of the boxed tokens of a line, 0
// when none has a box.
func typicalHeight(toks []token) int {
	var hs []int
	for _, t := range toks {
		if !t.box.Empty() {
			hs = append(hs, t.box.Dy())
		}
	}
	if len(hs) == 0 {
		return 0
	}
	slices.Sort(hs)
	return hs[len(hs)/2]
}

// parseNumberTokens gathers the number and notation following the label
// (rest is what remained of the label's own token) and parses them.
//
// On a printed form the number is handwritten in the blank before the
// printed "/QĐ-UBND", and OCR reads the handwriting as anything (`\SÌ`,
// "+6", "9"): the notation token is found first, and what stands before it
// is the number only if it is digits. A number read from handwriting is
// only as sure as its least sure word.
func parseNumberTokens(rest string, label token, next []token) (numberResult, bool) {
	var used []token
	if r := strings.TrimLeft(rest, ":;. "); r != "" {
		t := label
		t.text = r
		used = append(used, t)
	}
	// Handwriting read as a short word ("to", "bà") before the printed
	// notation must not end the number: look for the notation first.
	ahead := 0
	for k, t := range next {
		if t.text == "\t" || k >= 4 {
			break
		}
		if strings.HasPrefix(t.text, "/") && len(t.text) > 1 {
			ahead = k + 1
			break
		}
	}
	for n, t := range next {
		if n < ahead {
			used = append(used, t)
			continue
		}
		if t.text == "\t" && len(used) == 0 {
			continue // "Số:" with the number left blank on the form
		}
		if t.text == "\t" || len(used) >= 5 {
			break
		}
		cand := joinTexts(used)
		if isWord(t.text) && !(strings.HasSuffix(cand, "-") || strings.HasPrefix(t.text, "-")) && !junkTypeBody(t.text) {
			break
		}
		if cand != "" && complete(cand) && !strings.HasSuffix(cand, "-") && !strings.HasPrefix(t.text, "-") && !strings.HasPrefix(t.text, "/") && !junkTypeBody(t.text) {
			break
		}
		used = append(used, t)
	}
	if len(used) == 0 {
		return numberResult{}, false
	}
	k, notation, repair := notationToken(used)
	if k < 0 {
		return parseNumber(joinTexts(used), meanConf(used), meanConf(used))
	}
	// The number: the tokens before the notation's and what precedes its
	// slash. A slash or backslash there is a stroke of handwriting, not
	// a separator.
	num := joinTexts(used[:k]) + notation.before
	num = strings.NewReplacer("/", "#", "\\", "#").Replace(num)
	digitConf := 1.0
	for _, t := range used[:k] {
		digitConf = min(digitConf, t.conf)
	}
	if notation.before != "" {
		digitConf = min(digitConf, used[k].conf)
	}
	// Hyphens glued after the notation ("/QĐ- UBND") continue it.
	tail, prev := "", notation.after
	for _, t := range used[k+1:] {
		if !strings.HasSuffix(prev, "-") && !strings.HasPrefix(t.text, "-") {
			break // the place name of the date line, "Vũ Thư,"
		}
		tail += t.text
		prev = t.text
	}
	r, ok := parseNumber(num+"/"+notation.after+tail, meanConf(used), digitConf)
	if ok && repair < 1 {
		r.value.Confidence *= repair
	}
	return r, ok
}

func joinTexts(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String()
}

type notationSplit struct {
	// before is what precedes the slash in the notation's token ("86"
	// of "86/QĐ-UBND"); after is the notation from its first letter.
	before, after string
}

// notationToken finds the token holding the notation: the first with a
// slash (or a backslash) before a letter or a year, else one whose slash OCR
// read as ",", "Z", "I", "l", "|" or a quote before a known abbreviation
// ("ZTB-UBND", ",QD-UBND", "'BC-UBND"), else a bare notation whose slash
// was lost ("TLKT-Bs", "2017NQ-HDND"). repair is below 1 when the slash
// had to be assumed.
func notationToken(used []token) (k int, n notationSplit, repair float64) {
	// A backslash is a slash only where no token has a real one: "\\3"
	// before "/KH-UBND" is a handwritten stroke.
	slash := "/"
	if !strings.Contains(joinTexts(used), "/") {
		slash = "\\"
	}
	for k, t := range used {
		s := strings.ReplaceAll(t.text, slash, "/")
		if i := strings.LastIndex(s, "/"); i >= 0 {
			// "05/2024/NQ-HĐND": the notation starts after the first
			// slash that follows the number.
			first := strings.Index(s, "/")
			after := s[first+1:]
			if after == "" {
				if k+1 < len(used) {
					return k, notationSplit{before: s[:first], after: ""}, 1
				}
				continue
			}
			if r, _ := utf8.DecodeRuneInString(after); unicode.IsLetter(r) || unicode.IsDigit(r) {
				return k, notationSplit{before: s[:first], after: after}, 1
			}
		}
	}
	for k, t := range used {
		r, size := utf8.DecodeRuneInString(t.text)
		if strings.ContainsRune(",ZIl|7'‘’`", r) && knownNotation(t.text[size:]) {
			return k, notationSplit{after: t.text[size:]}, 0.85
		}
	}
	// The slash and the type read as junk before a printed issuing body
	// ("øœ-UBND" for "/KH-UBND"): the notation, its type left for the
	// document's type to restore (classify.ReconcileNumber).
	for k, t := range used {
		if k > 0 && junkTypeBody(t.text) {
			return k, notationSplit{after: t.text}, 0.6
		}
	}
	for k, t := range used {
		if k > 0 && bareNotation.MatchString(t.text) && knownNotation(t.text) {
			return k, notationSplit{after: t.text}, 0.8
		}
		// Both slashes lost around the year: "2017NQ-HDND".
		if m := yearGlued.FindStringSubmatch(t.text); k > 0 && m != nil && bareNotation.MatchString(m[2]) && knownNotation(m[2]) {
			return k, notationSplit{after: m[1] + "/" + m[2]}, 0.75
		}
	}
	return -1, notationSplit{}, 1
}

// yearGlued is a year with the notation glued after it.
var yearGlued = regexp.MustCompile(`^((?:19|20)[0-9]{2})(\pL.*)$`)

// bareNotation is a notation with its slash lost: capitals, a hyphen,
// capitals.
var bareNotation = regexp.MustCompile(`^[A-ZĐÐ][A-Za-zĐđÐ]+-[A-Za-zĐđÐ]{2,}$`)

// knownNotation reports whether s opens with a type abbreviation or a known
// body abbreviation followed by a hyphen ("TB-UBND", "UBND-TP").
func knownNotation(s string) bool {
	first, _, ok := strings.Cut(s, "-")
	if !ok || first == "" {
		return false
	}
	k := foldUpper(first)
	if a, ok := abbrevByFold[k]; ok && (a != "" || len(k) >= 2) {
		return true
	}
	_, ok = orgParts[k]
	if _, near := nearOrg(k); near {
		return true
	}
	return ok || k == "TLKH" || k == "TLKT" || k == "GPXD"
}

// junkTypeBody reports a notation whose slash and type the OCR read as one
// to three signs of junk, before a hyphen and a printed issuing body
// ("øœ-UBND").
func junkTypeBody(s string) bool {
	typ, body, ok := strings.Cut(s, "-")
	_, org := orgParts[foldUpper(body)]
	return ok && org && typ != "" && utf8.RuneCountInString(typ) <= 3 && !strings.ContainsFunc(typ, unicode.IsDigit)
}

// nearOrg finds the one issuing-body abbreviation of four letters or more
// within an edit of k ("BND", "UBRND" for UBND).
func nearOrg(k string) (string, bool) {
	if len(k) < 3 {
		return "", false
	}
	found := ""
	for f, o := range orgParts {
		if len(f) >= 4 && distance(f, k) == 1 {
			if found != "" && found != o {
				return "", false
			}
			found = o
		}
	}
	return found, found != ""
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
//
// digitConf is the confidence of the words that gave the digits: the value
// is never surer than they are.
func parseNumber(cand string, conf, digitConf float64) (numberResult, bool) {
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
	} else if m := yearGlued.FindStringSubmatch(rest); m != nil && hasSlash && knownNotation(m[2]) {
		// The slash after the year lost: "202/2019NQ-HĐND".
		year, rest, penalty = m[1], m[2], penalty*0.9
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
		res.value = Value{Value: v, Confidence: clamp01(min(conf, digitConf) * penalty * digitPenalty)}
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
	factor := 1.0
	if strings.Contains(s, ".") && !strings.Contains(s, "-") {
		// A notation's parts are joined by hyphens only (Phụ lục I, NĐ
		// 30/2020): a dot where one belongs is the OCR's ("BC.UBND").
		s, factor = strings.ReplaceAll(s, ".", "-"), 0.9
	}
	if glued, ok := splitGluedBody(s); ok {
		s, factor = glued, 0.9
	}
	var parts []string
	for _, p := range strings.Split(s, "-") {
		// A speck beside the hyphen ("TTr-.UBND") is no letter of it.
		if q := strings.Trim(p, ".,;:'`‘’"); q != p && q != "" {
			p, factor = q, factor*0.95
		}
		if q := dropMarkedDouble(p); q != p {
			p, factor = q, factor*0.9
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "", 1
	}
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
		if o, ok := nearOrg(k); ok && (i > 0 || len(parts) > 1) {
			// A letter added or lost in print ("UBRND"): the body.
			parts[i] = o
			factor *= 0.85
			continue
		}
		parts[i] = strings.ToUpper(p)
	}
	return strings.Join(parts, "-"), factor
}

// dropMarkedDouble removes a letter the OCR doubled with a mark no
// notation has ("NÑV" for "NV"): a capital with a tilde or an accent
// right after the same capital without one. Đ is a letter of its own.
func dropMarkedDouble(p string) string {
	r := []rune(p)
	for i := 1; i < len(r); i++ {
		c := r[i]
		if c == 'Đ' || c == 'Ð' || c <= unicode.MaxASCII || !unicode.IsUpper(c) {
			continue
		}
		if base := unicode.ToUpper(vntext.FoldRune(c)); base == r[i-1] {
			return string(append(r[:i:i], r[i+1:]...))
		}
	}
	return p
}

// splitGluedBody puts back the hyphen OCR lost between a type abbreviation
// and UBND or HĐND ("GGTUBND" → "GGT-UBND").
func splitGluedBody(s string) (string, bool) {
	if strings.Contains(s, "-") {
		return s, false
	}
	k := foldUpper(s)
	for _, body := range []string{"UBND", "HDND"} {
		if !strings.HasSuffix(k, body) {
			continue
		}
		typ := []rune(s)[:len([]rune(k))-len(body)]
		if a, ok := abbrevByFold[foldUpper(string(typ))]; ok && a != "" {
			return string(typ) + "-" + string([]rune(s)[len(typ):]), true
		}
	}
	return s, false
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
