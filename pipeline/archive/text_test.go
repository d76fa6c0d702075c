package archive

import (
	"fmt"
	"html"
	"image"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sohoa/ocr"
)

// vietnameseLetters returns every precomposed letter of Vietnamese, upper
// and lower case: those of U+00C0–U+01B0 that are a Vietnamese vowel with
// Vietnamese marks, plus Đ and đ, and all of U+1EA0–U+1EF9.
func vietnameseLetters() []rune {
	allowed := map[rune]string{ // mark → the vowels it goes on
		0x0300: "aăâeêioôơuưy", // grave (huyền)
		0x0301: "aăâeêioôơuưy", // acute (sắc)
		0x0303: "aăâeêioôơuưy", // tilde (ngã)
		0x0309: "aăâeêioôơuưy", // hook above (hỏi)
		0x0323: "aăâeêioôơuưy", // dot below (nặng)
		0x0302: "aeo",          // circumflex
		0x0306: "a",            // breve
		0x031B: "ou",           // horn
	}
	vietnamese := func(r rune) bool {
		d := []rune(norm.NFD.String(strings.ToLower(string(r))))
		if len(d) < 2 || !strings.ContainsRune("aeiouy", d[0]) {
			return false
		}
		base := string(d[0])
		for _, m := range d[1:] {
			vowels, ok := allowed[m]
			if !ok || !strings.Contains(vowels, norm.NFC.String(base)) {
				return false
			}
			base += string(m) // the vowel with its quality mark, e.g. ơ
		}
		return true
	}
	var letters []rune
	for r := rune(0xC0); r <= 0x1B0; r++ {
		if r == 'Đ' || r == 'đ' || vietnamese(r) {
			letters = append(letters, r)
		}
	}
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		letters = append(letters, r)
	}
	return letters
}

func TestVietnameseLetters(t *testing.T) {
	letters := vietnameseLetters()
	// 12 vowels × 6 tones, less the 6 plain ASCII vowels, plus đ: 67 a case.
	if len(letters) != 134 {
		t.Fatalf("got %d letters, want 134: %s", len(letters), string(letters))
	}
	for _, want := range "ỦỘĐươạăâêôÝỹ" {
		if !slices.Contains(letters, want) {
			t.Errorf("%c is missing", want)
		}
	}
	for _, not := range "ÄÇÑÛÎŶŎĬ" {
		if slices.Contains(letters, not) {
			t.Errorf("%c is not Vietnamese", not)
		}
	}
}

// layoutLines places lines of words on a page the way a scan of printed
// text looks: each word as wide as its letters, words with descenders or
// capitals taller than the others. It returns the words and the text
// pdftotext should give back.
func layoutLines(lines [][]string, left, top, letter, lineHeight int) ([]ocr.Word, string) {
	var words []ocr.Word
	var text []string
	y := top
	for n, line := range lines {
		x := left
		for _, w := range line {
			width := utf8.RuneCountInString(w) * letter
			box := image.Rect(x, y+lineHeight/4, x+width, y+lineHeight*3/4)
			if strings.ContainsAny(w, "gpqyjạẠ,;") {
				box.Max.Y += lineHeight / 5
			}
			if w != strings.ToLower(w) {
				box.Min.Y -= lineHeight / 5
			}
			words = append(words, ocr.Word{Text: w, Box: box, Line: n, Confidence: 0.9})
			x += width + letter*3/5
		}
		text = append(text, strings.Join(line, " "))
		y += lineHeight
	}
	return words, strings.Join(text, "\n")
}

// letterLines makes lines of words out of every Vietnamese letter.
func letterLines() [][]string {
	letters := vietnameseLetters()
	var lines [][]string
	for len(letters) > 0 {
		var line []string
		for len(line) < 6 && len(letters) > 0 {
			n := min(4, len(letters))
			line = append(line, string(letters[:n]))
			letters = letters[n:]
		}
		lines = append(lines, line)
	}
	return lines
}

var docLines = [][]string{
	{"ỦY", "BAN", "NHÂN", "DÂN"},
	{"TỈNH", "QUẢNG", "NGÃI"},
	{"Số:", "86/QĐ-UBND"},
	{"Quảng", "Ngãi,", "ngày", "16", "tháng", "01", "năm", "2025"},
	{"QUYẾT", "ĐỊNH"},
	{"Về", "việc", "bổ", "nhiệm", "vào", "ngạch", "Thanh", "tra", "viên"},
	{"CỘNG", "HÒA", "XÃ", "HỘI", "CHỦ", "NGHĨA", "VIỆT", "NAM"},
	{"Độc", "lập", "-", "Tự", "do", "-", "Hạnh", "phúc"},
	{"(a)", "<b>", "&", "\\c", "100%", "ư/ơ"},
}

// textCase is one page whose text layer is checked.
type textCase struct {
	name string
	page func(t *testing.T) Page
	// text is what pdftotext must return, in NFC; "" compares words only
	// (for a real page, whose layout pdftotext may rearrange).
	text string
	// scale turns the words' box coordinates into points.
	scale float64
}

func textCases(t *testing.T) []textCase {
	t.Helper()
	const dpi = 200
	syntheticPage := func(lines [][]string, nfd bool, ocrScale int) (func(t *testing.T) Page, string) {
		words, text := layoutLines(lines, 150, 150, 36, 90)
		return func(t *testing.T) Page {
			img := paper(1654, 2340, words) // A4 at 200 dpi, even for halving
			ws := slices.Clone(words)
			for i := range ws {
				if nfd {
					ws[i].Text = norm.NFD.String(ws[i].Text)
				}
				ws[i].Box = image.Rect(ws[i].Box.Min.X/ocrScale, ws[i].Box.Min.Y/ocrScale,
					ws[i].Box.Max.X/ocrScale, ws[i].Box.Max.Y/ocrScale)
			}
			return Page{
				Image: ocr.Image{Data: encodeJPEG(t, img), Format: "jpeg", DPI: dpi},
				Text:  ocr.Page{Words: ws, Width: 1654 / ocrScale, Height: 2340 / ocrScale},
			}
		}, text
	}
	letters, lettersText := syntheticPage(letterLines(), false, 1)
	doc, docText := syntheticPage(docLines, false, 1)
	nfd, nfdText := syntheticPage(docLines, true, 1)
	half, halfText := syntheticPage(docLines[:6], false, 2)
	return []textCase{
		{name: "real scan", page: func(t *testing.T) Page { return realPage(t) }, scale: 72.0 / 300},
		{name: "every Vietnamese letter", page: letters, text: lettersText, scale: 72.0 / dpi},
		{name: "document lines", page: doc, text: docText, scale: 72.0 / dpi},
		{name: "NFD words come out NFC", page: nfd, text: nfdText, scale: 72.0 / dpi},
		{name: "boxes from a half-size OCR image", page: half, text: halfText, scale: 2 * 72.0 / dpi},
		{name: "lines listed out of order", page: func(t *testing.T) Page {
			p := doc(t)
			slices.SortStableFunc(p.Text.Words, func(a, b ocr.Word) int { return b.Line - a.Line })
			return p
		}, text: docText, scale: 72.0 / dpi},
	}
}

func TestTextLayerExtracts(t *testing.T) {
	needTool(t, "pdftotext")
	t.Parallel()
	for _, tc := range textCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page := tc.page(t)
			path := writeArchive(t, testMeta, page)
			want := wordsOf(page.Text.Words)
			for _, mode := range []string{"default", "-raw"} {
				args := []string{"-enc", "UTF-8", path, "-"}
				if mode == "-raw" {
					args = append([]string{"-raw"}, args...)
				}
				got := strings.TrimRight(run(t, "pdftotext", args...), "\f\n")
				if mode == "default" {
					// Layout analysis may set lines of another height
					// apart as a paragraph.
					got = strings.ReplaceAll(got, "\n\n", "\n")
				}
				if !norm.NFC.IsNormalString(got) {
					t.Errorf("pdftotext %s output is not NFC", mode)
				}
				switch {
				case tc.text != "":
					if got != tc.text {
						t.Errorf("pdftotext %s:\n got %q\nwant %q", mode, got, tc.text)
					}
				case mode == "-raw":
					// Content order is the OCR's reading order.
					if g := strings.Fields(got); !slices.Equal(g, want) {
						t.Errorf("pdftotext -raw words differ:\n got %q\nwant %q", g, want)
					}
				default:
					g := strings.Fields(got)
					slices.Sort(g)
					w := slices.Sorted(slices.Values(want))
					if !slices.Equal(g, w) {
						t.Errorf("pdftotext words differ:\n got %q\nwant %q", g, w)
					}
				}
			}
		})
	}
}

// wordsOf returns the words' text in reading order, NFC.
func wordsOf(words []ocr.Word) []string {
	var out []string
	for _, l := range groupLines(words) {
		for _, w := range l.words {
			out = append(out, norm.NFC.String(w.Text))
		}
	}
	return out
}

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>`)

func TestTextLayerPositions(t *testing.T) {
	needTool(t, "pdftotext")
	t.Parallel()
	for _, tc := range textCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page := tc.page(t)
			path := writeArchive(t, testMeta, page)
			out := run(t, "pdftotext", "-bbox", path, "-")
			// Each line's band: its words' boxes, top to bottom.
			band := map[int][2]int{}
			for _, w := range page.Text.Words {
				b, ok := band[w.Line]
				if !ok {
					b = [2]int{w.Box.Min.Y, w.Box.Max.Y}
				}
				band[w.Line] = [2]int{min(b[0], w.Box.Min.Y), max(b[1], w.Box.Max.Y)}
			}
			const tol = 0.05 // points
			matches := bboxWord.FindAllStringSubmatch(out, -1)
			if len(matches) != len(page.Text.Words) {
				t.Errorf("pdftotext -bbox found %d words, want %d", len(matches), len(page.Text.Words))
			}
			for _, m := range matches {
				f := func(i int) float64 {
					v, err := strconv.ParseFloat(m[i], 64)
					if err != nil {
						t.Fatal(err)
					}
					return v
				}
				xMin, yMin, xMax, yMax := f(1), f(2), f(3), f(4)
				text := html.UnescapeString(m[5])
				// The word must lie inside the box of an OCR word with the
				// same text: across within the box, down within its line.
				inside := func(w ocr.Word) bool {
					b, s := w.Box, tc.scale
					lb := band[w.Line]
					return norm.NFC.String(w.Text) == text &&
						xMin >= float64(b.Min.X)*s-tol && xMax <= float64(b.Max.X)*s+tol &&
						yMin >= float64(lb[0])*s-tol && yMax <= float64(lb[1])*s+tol &&
						yMin < float64(b.Max.Y)*s && yMax > float64(b.Min.Y)*s
				}
				if !slices.ContainsFunc(page.Text.Words, inside) {
					t.Errorf("word %q at x %.2f–%.2f, y %.2f–%.2f is not inside any OCR box of that word",
						text, xMin, xMax, yMin, yMax)
				}
			}
		})
	}
}

func TestTextCodes(t *testing.T) {
	tests := []struct {
		in   string
		want []uint16
	}{
		{"Ủy", []uint16{0x1EE6, 0x79}},
		{"Đ ư", []uint16{0x110, 0x20, 0x1B0}},
		{"a\tb\x00c\u0085", []uint16{'a', 'b', 'c'}},
		{"😀", []uint16{0xFFFD}},
		{"\uFFFE", []uint16{0xFFFD}},
	}
	for _, tt := range tests {
		if got := textCodes(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("textCodes(%q) = %X, want %X", tt.in, got, tt.want)
		}
	}
}

// TestToUnicodeCMap checks the map covers every code text can use, with
// ranges that stay within one first byte and sections of at most 100.
func TestToUnicodeCMap(t *testing.T) {
	cmap := toUnicodeCMap()
	covered := map[int]bool{}
	rangeLine := regexp.MustCompile(`^<([0-9A-F]{4})> <([0-9A-F]{4})> <([0-9A-F]{4})>$`)
	section := 0
	for _, line := range strings.Split(cmap, "\n") {
		if strings.HasSuffix(line, "beginbfrange") {
			n, _ := strconv.Atoi(strings.Fields(line)[0])
			if n > 100 {
				t.Errorf("section of %d ranges", n)
			}
			section = 0
			continue
		}
		m := rangeLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		section++
		lo, _ := strconv.ParseInt(m[1], 16, 32)
		hi, _ := strconv.ParseInt(m[2], 16, 32)
		dst, _ := strconv.ParseInt(m[3], 16, 32)
		if lo>>8 != hi>>8 || dst != lo {
			t.Errorf("range %s", line)
		}
		for c := lo; c <= hi; c++ {
			covered[int(c)] = true
		}
	}
	for _, r := range append(vietnameseLetters(), ' ', '/', '-', ':', '\uFFFD', '~') {
		for _, c := range textCodes(string(r)) {
			if !covered[int(c)] {
				t.Errorf("code %04X (%c) has no Unicode value", c, r)
			}
		}
	}
	if covered[0] || covered[0xD800] || covered[0xFFFF] {
		t.Error("the map covers codes text never uses")
	}
}

func TestGroupLines(t *testing.T) {
	box := image.Rect(0, 0, 10, 10)
	words := []ocr.Word{
		{Text: "c", Box: box, Line: 2},
		{Text: "a", Box: box, Line: 0},
		{Text: " ", Box: box, Line: 0},               // nothing to draw
		{Text: "x", Box: image.Rectangle{}, Line: 0}, // no box
		{Text: "b", Box: box, Line: 0},
		{Text: "d", Box: box, Line: 2},
	}
	var got []string
	for _, l := range groupLines(words) {
		var ws []string
		for _, w := range l.words {
			ws = append(ws, w.Text)
		}
		got = append(got, fmt.Sprint(l.line, ws))
	}
	want := []string{"0 [a b]", "2 [c d]"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
