package handwriting

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// form draws a page header: a printed number line with the number in
// blue ink and a date line with the day in blue ink, and returns the OCR
// words Tesseract would give for it, junk where the ink is.
func form(t *testing.T, number, day string) (*image.RGBA, []ocr.Word) {
	t.Helper()
	img := paper(1400, 1000, 9)
	var words []ocr.Word
	add := func(text string, box image.Rectangle, conf float64, line int) {
		words = append(words, ocr.Word{Text: text, Box: box, Confidence: conf, Line: line})
	}
	add("Số:", write(t, img, "Số:", 100, 200, 40, color.Black), 0.95, 0)
	if number != "" {
		add("\\ỗ", write(t, img, number, 185, 205, 56, blueInk), 0.3, 0)
	}
	add("/TB-UBND", write(t, img, "/TB-UBND", 330, 200, 40, color.Black), 0.93, 0)
	x := 600
	for _, w := range []string{"Tân", "Châu,", "ngày", "DAY", "tháng", "7", "năm", "2023"} {
		if w == "DAY" {
			if day != "" {
				add("2", write(t, img, day, x, 205, 56, blueInk), 0.4, 1)
			}
			x += 90
			continue
		}
		b := write(t, img, w, x, 200, 40, color.Black)
		add(w, b, 0.95, 1)
		x = b.Max.X + 14
	}
	return img, words
}

func page(words []ocr.Word, text string) ocr.Page {
	return ocr.Page{Text: text, Words: words, Confidence: 0.8, Width: 1400, Height: 1000}
}

func TestRefineReplacesHandwriting(t *testing.T) {
	t.Parallel()
	img, words := form(t, "115", "22")
	p := page(words, "Số: \\ỗ /TB-UBND\n\nTân Châu, ngày 2 tháng 7 năm 2023")
	got := Refine(p, img, true)
	want := "Số: 115 /TB-UBND\n\nTân Châu, ngày 22 tháng 7 năm 2023"
	if got.Text != want {
		t.Fatalf("text\n%q\nwant\n%q", got.Text, want)
	}
	if p.Words[1].Text != "\\ỗ" {
		t.Error("Refine changed its argument's words")
	}
	for _, w := range got.Words {
		if w.Text == "115" && (w.Confidence < MinConfidence || w.Box.Dx() < 40 || w.Line != 0) {
			t.Errorf("number word %+v", w)
		}
		// Handwriting is never trusted enough to pass review unseen.
		if (w.Text == "115" || w.Text == "22") && w.Confidence > Trust {
			t.Errorf("handwritten %q at confidence %.2f, above Trust %.2f", w.Text, w.Confidence, Trust)
		}
	}
}

func TestRefineLeavesAlone(t *testing.T) {
	t.Parallel()
	t.Run("nothing written", func(t *testing.T) {
		img, words := form(t, "", "")
		// The OCR saw specks as junk words; there is no ink to read.
		words = append(words[:1], append([]ocr.Word{{Text: "'", Box: image.Rect(200, 160, 240, 210), Confidence: 0.2}}, words[1:]...)...)
		p := page(words, "Số: ' /TB-UBND\nTân Châu, ngày tháng 7 năm 2023")
		if got := Refine(p, img, true); got.Text != p.Text {
			t.Errorf("text %q, want it unchanged", got.Text)
		}
	})
	for _, conf := range []float64{0.94, 0.6} {
		// Typed digits joined to the notation; Tesseract's confidence in
		// the whole word drops with the letters after the slash.
		t.Run(fmt.Sprintf("typed number at %.2f", conf), func(t *testing.T) {
			img := paper(1400, 1000, 10)
			words := []ocr.Word{
				{Text: "Số:", Box: write(t, img, "Số:", 100, 200, 40, color.Black), Confidence: 0.95},
				{Text: "413/QĐ-TCKH", Box: write(t, img, "413/QĐ-TCKH", 185, 200, 40, color.Black), Confidence: conf},
			}
			p := page(words, "Số: 413/QĐ-TCKH")
			if got := Refine(p, img, true); got.Text != p.Text {
				t.Errorf("text %q, want it unchanged", got.Text)
			}
		})
	}
	t.Run("no header", func(t *testing.T) {
		img := paper(400, 400, 11)
		p := page(nil, "")
		if got := Refine(p, img, true); got.Text != "" || len(got.Words) != 0 {
			t.Errorf("got %+v", got)
		}
	})
}

func TestRebuildTextKeepsBlocks(t *testing.T) {
	t.Parallel()
	words := []ocr.Word{{Text: "a", Line: 0}, {Text: "b", Line: 1}, {Text: "c", Line: 1}, {Text: "d", Line: 2}}
	got := rebuildText("a\n\nB\nd", words, map[int]bool{1: true})
	if want := "a\n\nb c\nd"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// numberLine draws "Số:" (its OCR reading given), the number in blue ink
// (read as junk) and the printed notation (its OCR reading given) on line
// line at baseline y, and returns the OCR words.
func numberLine(t *testing.T, img *image.RGBA, keyword, number, notation, ocrNotation string, y, line int) []ocr.Word {
	t.Helper()
	var words []ocr.Word
	if keyword != "" {
		words = append(words, ocr.Word{Text: keyword, Box: write(t, img, "Số:", 100, y, 40, color.Black), Confidence: 0.4, Line: line})
	} else {
		write(t, img, "Số:", 100, y, 40, color.Black)
	}
	words = append(words, ocr.Word{Text: "\\ỗ", Box: write(t, img, number, 185, y+5, 56, blueInk), Confidence: 0.3, Line: line})
	words = append(words, ocr.Word{Text: ocrNotation, Box: write(t, img, notation, 330, y, 40, color.Black), Confidence: 0.5, Line: line})
	x := 800
	for _, w := range []string{"Tân", "Châu,", "ngày", "22", "tháng", "7", "năm", "2023"} {
		b := write(t, img, w, x, y, 40, color.Black)
		words = append(words, ocr.Word{Text: w, Box: b, Confidence: 0.95, Line: line})
		x = b.Max.X + 14
	}
	return words
}

// TestRefineNumberFindsNotation: the number ends where the printed
// notation starts even when the OCR lost the notation's slash, and is
// found when the OCR misread the keyword without its colon or lost it.
func TestRefineNumberFindsNotation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, keyword, notation, ocrNotation, want string
	}{
		{"slash read as a quote", "Số:", "/BC-UBND", "'BC-UBND", "Số: 115 'BC-UBND"},
		{"slash lost", "Số:", "/NQ-HĐND", "NQ-HĐND", "Số: 115 NQ-HĐND"},
		{"slash lost with the year", "Số:", "/2017/NQ-HĐND", "2017NQ-HDND", "Số: 115 2017NQ-HDND"},
		{"keyword misread", "ng", "/CT-UBND", "/CT-UBND", "Số: 115 /CT-UBND"},
		{"keyword lost", "", "/CT-UBND", "/CT-UBND", "Số: 115 /CT-UBND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := paper(1400, 1000, 12)
			words := numberLine(t, img, tc.keyword, "115", tc.notation, tc.ocrNotation, 200, 0)
			got := Refine(page(words, ""), img, true)
			if line := strings.SplitN(got.Text, " Tân", 2)[0]; line != tc.want {
				t.Errorf("number line %q, want %q", line, tc.want)
			}
		})
	}
}

// TestRefineNumberPrefersNotation: a "Số" the OCR read into the junk of a
// line above (a rule, the motto, a speck) is not the number when a line
// below has the keyword before a notation.
func TestRefineNumberPrefersNotation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bad  ocr.Word
	}{
		{"junk word", ocr.Word{Text: "SỔ", Box: image.Rect(700, 90, 750, 150), Confidence: 0.31, Line: 0}},
		{"speck", ocr.Word{Text: "SỐ", Box: image.Rect(90, 150, 92, 153), Confidence: 0.58, Line: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := paper(1400, 1000, 13)
			// The speck's ink: a dot, as on the scan.
			for y := 150; y < 153; y++ {
				for x := 90; x < 92; x++ {
					img.Set(x, y, color.Black)
				}
			}
			words := []ocr.Word{
				{Text: "CỘNG", Box: write(t, img, "CỘNG", 300, 130, 40, color.Black), Confidence: 0.95, Line: 0},
				{Text: "HÒA", Box: write(t, img, "HÒA", 450, 130, 40, color.Black), Confidence: 0.95, Line: 0},
				tc.bad,
				{Text: "CÓ", Box: write(t, img, "CÓ", 800, 130, 40, color.Black), Confidence: 0.5, Line: 0},
			}
			words = append(words, numberLine(t, img, "Số:", "115", "/KH-UBND", "/KH-UBND", 230, 1)...)
			got := Refine(page(words, ""), img, true)
			if !strings.Contains(got.Text, "Số: 115 /KH-UBND") || strings.Contains(got.Text, "CÓ Số:") {
				t.Errorf("text %q, want the number of line 2 read", got.Text)
			}
		})
	}
}

// TestRefineNumberNotTheBook: on a civil-status paper the number has no
// notation and "Quyển số: 03/2019" below it has a slash: the book's "số:"
// is not the number's keyword, however unsure the OCR is of its digits.
func TestRefineNumberNotTheBook(t *testing.T) {
	t.Parallel()
	img := paper(1400, 1000, 14)
	words := []ocr.Word{
		{Text: "Số:", Box: write(t, img, "Số:", 100, 200, 40, color.Black), Confidence: 0.95, Line: 0},
		{Text: "\\ỗ", Box: write(t, img, "239", 185, 205, 56, blueInk), Confidence: 0.3, Line: 0},
	}
	x := 100
	for _, w := range []string{"Quyển", "số:", "03/2019"} {
		b := write(t, img, w, x, 280, 40, color.Black)
		conf := 0.95
		if w == "03/2019" {
			conf = 0.4
		}
		words = append(words, ocr.Word{Text: w, Box: b, Confidence: conf, Line: 1})
		x = b.Max.X + 14
	}
	got := Refine(page(words, "Số: \\ỗ\nQuyển số: 03/2019"), img, true)
	if want := "Số: 239\nQuyển số: 03/2019"; got.Text != want {
		t.Errorf("text %q, want %q", got.Text, want)
	}
}

// TestRefineLeavesFormLabel: "Ngày, tháng, năm sinh:" on a certificate is
// a label with nothing written between its words, not a date line: the
// comma's blot and the letters' tails there (read "13" on a degraded
// scan) are no day to write into it.
func TestRefineLeavesFormLabel(t *testing.T) {
	t.Parallel()
	img := paper(1400, 1000, 15)
	var words []ocr.Word
	x := 100
	for _, w := range []string{"Ngày,", "tháng,", "năm", "sinh:", "14/03/2022"} {
		b := write(t, img, w, x, 300, 40, color.Black)
		words = append(words, ocr.Word{Text: w, Box: b, Confidence: 0.95})
		x = b.Max.X + 40
	}
	if fs := plan(words, 1000, true); len(fs) != 0 {
		t.Errorf("%d fields on a form's label, want none", len(fs))
	}
	p := page(words, "Ngày, tháng, năm sinh: 14/03/2022")
	if got := Refine(p, img, true); got.Text != p.Text {
		t.Errorf("text %q, want it unchanged", got.Text)
	}
}

func TestGluedDayWord(t *testing.T) {
	for _, tc := range []struct {
		word string
		at   int
		ok   bool
	}{
		{"Vinh„ngày", 5, true},
		{"Lợfiq;ngày,", 6, true},
		{"Mới,-ngà", 5, true},
		{"kìhngày,", 3, true},
		{"ngày", 0, false},    // not glued: isDayWord's
		{"Nga,", 0, false},    // a name
		{"Thanh", 0, false},   // no keyword
		{"Hằngnga", 0, false}, // letters before a short "nga"
		{"Ngãi,", 0, false},
	} {
		at, ok := gluedDayWord(vntext.Fold(tc.word))
		if ok != tc.ok || at != tc.at {
			t.Errorf("%q: at %d ok %v, want %d %v", tc.word, at, ok, tc.at, tc.ok)
		}
	}
}

// ink is the handwriting of a line: digits in blue, dx after the word
// before it, in a gap of width, which the OCR read as text at conf.
type ink struct {
	digits, text string
	dx, width    int
	conf         float64
}

// inkedLine prints words from x on baseline y, the handwriting in place of
// the word "INK", and returns the OCR words for the line.
func inkedLine(t *testing.T, img *image.RGBA, x, y int, words []string, hw ink) []ocr.Word {
	t.Helper()
	var out []ocr.Word
	for _, w := range words {
		if w == "INK" {
			out = append(out, ocr.Word{Text: hw.text, Box: write(t, img, hw.digits, x+hw.dx, y+5, 56, blueInk), Confidence: hw.conf})
			x += hw.width
			continue
		}
		b := write(t, img, w, x, y, 40, color.Black)
		out = append(out, ocr.Word{Text: w, Box: b, Confidence: 0.95})
		x = b.Max.X + 14
	}
	return out
}

// TestRefineGluedDay reads the day after a "ngày" the OCR glued to the
// place name before it, as a closing date line on a later page, and keeps
// the place in the word.
func TestRefineGluedDay(t *testing.T) {
	t.Parallel()
	img := paper(1400, 600, 11)
	words := inkedLine(t, img, 300, 300, []string{"Cẩm", "Vinh„ngày", "INK", "tháng", "9", "năm", "2025"}, ink{digits: "06", text: "ĐẾ", width: 110, conf: 0.3})
	p := ocr.Page{Text: "Cẩm Vinh„ngày ĐẾ tháng 9 năm 2025", Words: words, Confidence: 0.8, Width: 1400, Height: 600}
	got := Refine(p, img, false)
	if want := "Cẩm Vinh„ngày 06 tháng 9 năm 2025"; got.Text != want {
		t.Fatalf("text %q, want %q", got.Text, want)
	}
}

// TestRefineNumberPastConfidentJunk: on a birth certificate's number line
// (no notation) the OCR read the ink as "\ØL" at 0.9. No Vietnamese word
// has an Ø: the field runs on to the place name, the first printed word.
func TestRefineNumberPastConfidentJunk(t *testing.T) {
	t.Parallel()
	img := paper(1400, 600, 13)
	words := inkedLine(t, img, 100, 200, []string{"số:", "INK", "Bình", "Triều,", "ngày", "22", "tháng", "6", "năm", "2022"}, ink{digits: "102", text: "\\ØL", dx: 20, width: 400, conf: 0.9})
	p := ocr.Page{Text: "số: \\ØL Bình Triều, ngày 22 tháng 6 năm 2022", Words: words, Confidence: 0.8, Width: 1400, Height: 600}
	got := Refine(p, img, true)
	if want := "Số: 102 Bình Triều, ngày 22 tháng 6 năm 2022"; got.Text != want {
		t.Fatalf("text %q, want %q", got.Text, want)
	}
}

func TestDayAndMonthWords(t *testing.T) {
	for _, tc := range []struct {
		word       string
		day, month bool
	}{
		{"ngày", true, false},
		{"ngày18", true, false},
		{"ng", true, false},     // the end lost under ink
		{"1.ndày", true, false}, // g read as d, after a speck
		{"Ngãi", false, false},
		{"nghị", false, false},
		{"tháng", false, true},
		{"tháng4năm2019", false, true}, // the printed month and year glued on
		{"táng7", false, true},
		{"thắng", false, true},
		{"năm", false, false},
	} {
		f := vntext.Fold(tc.word)
		if got := isDayWord(f); got != tc.day {
			t.Errorf("isDayWord(%q) = %v, want %v", tc.word, got, tc.day)
		}
		if got := isMonthWord(f); got != tc.month {
			t.Errorf("isMonthWord(%q) = %v, want %v", tc.word, got, tc.month)
		}
	}
}

// TestRefineKeepsSpoiltNotation: the OCR read "/KH-UBND" as "øœ-UBND"
// and "/UBND-ĐC" as "BND-Ðc". They are print, the notation: the number's
// field ends before them, and they stay in the text (they were taken as
// ink and replaced by the digits).
func TestRefineKeepsSpoiltNotation(t *testing.T) {
	t.Parallel()
	for _, notation := range []string{"øœ-UBND", "BND-Ðc"} {
		img := paper(1600, 600, 17)
		words := inkedLine(t, img, 100, 200, []string{"Số:", "INK", notation, "Hà", "Nội,", "ngày", "06", "tháng", "8", "năm", "2020"}, ink{digits: "312", text: "ĐÝL", dx: 10, width: 230, conf: 0.4})
		for i := range words {
			if words[i].Text == notation {
				words[i].Confidence = 0.3
			}
		}
		text := "Số: ĐÝL " + notation + " Hà Nội, ngày 06 tháng 8 năm 2020"
		got := Refine(ocr.Page{Text: text, Words: words, Confidence: 0.8, Width: 1600, Height: 600}, img, true)
		if want := "Số: 312 " + notation + " Hà Nội, ngày 06 tháng 8 năm 2020"; got.Text != want {
			t.Errorf("text %q, want %q", got.Text, want)
		}
	}
}
