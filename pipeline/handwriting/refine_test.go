package handwriting

import (
	"fmt"
	"image"
	"image/color"
	"testing"

	"sohoa/ocr"
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
