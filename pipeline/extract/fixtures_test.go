package extract

import (
	"image"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode"

	"sohoa/fixtures"
	"sohoa/ocr"
)

// textPages are the pages of a generated document as a born-digital text
// layer gives them: text only, no boxes.
func textPages(d fixtures.Doc) []ocr.Page {
	var out []ocr.Page
	for _, p := range strings.Split(d.Text(), "\f") {
		out = append(out, ocr.Page{Text: p, Confidence: 1})
	}
	return out
}

// boxPages lays a generated document out as Tesseract would report it at
// 300 dpi: printed lines sharing a baseline (the header's left column and
// the motto, "Số:" and the date line) become one text line, ordered left to
// right, with word boxes estimated from the font size. noise, when not nil,
// damages words the way OCR does and lowers their confidence.
func boxPages(d fixtures.Doc, noise *ocrNoise) []ocr.Page {
	const scale = 300.0 / 72
	var out []ocr.Page
	for _, lines := range d.Pages {
		p := ocr.Page{Width: 2480, Height: 3508}
		sorted := append([]fixtures.Line(nil), lines...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Y < sorted[j].Y })
		type placed struct {
			w ocr.Word
			y float64
		}
		var groups [][]placed
		lastY := -100.0
		for _, l := range sorted {
			words := strings.Fields(l.Text)
			if len(words) == 0 {
				continue
			}
			charW := l.Size * 0.25 // a space
			total := textWidth(l.Text, l.Size)
			x := l.X
			switch l.Align {
			case fixtures.AlignCenter:
				x = l.X + (l.Width-total)/2
			case fixtures.AlignRight:
				x = l.X + l.Width - total
			}
			if l.Y-lastY > l.Size*0.5 {
				groups = append(groups, nil)
				lastY = l.Y
			}
			g := len(groups) - 1
			for _, w := range words {
				ww := textWidth(w, l.Size)
				conf := 0.96
				if noise != nil {
					w, conf = noise.word(w)
				}
				box := image.Rect(int(x*scale), int((l.Y-l.Size)*scale), int((x+ww)*scale), int((l.Y+l.Size*0.25)*scale))
				groups[g] = append(groups[g], placed{ocr.Word{Text: w, Box: box, Confidence: conf}, l.Y})
				x += ww + charW
			}
		}
		var text strings.Builder
		var sum float64
		for i, g := range groups {
			sort.SliceStable(g, func(a, b int) bool { return g[a].w.Box.Min.X < g[b].w.Box.Min.X })
			if i > 0 {
				text.WriteByte('\n')
			}
			for j, pw := range g {
				pw.w.Line = i
				if j > 0 {
					text.WriteByte(' ')
				}
				text.WriteString(pw.w.Text)
				p.Words = append(p.Words, pw.w)
				sum += pw.w.Confidence
			}
		}
		p.Text = text.String()
		if len(p.Words) > 0 {
			p.Confidence = sum / float64(len(p.Words))
		}
		out = append(out, p)
	}
	return out
}

// ocrNoise damages words like Tesseract on a mediocre scan: dropped
// diacritics, l/1/I and O/0 swapped, Ế read as É; each damaged word gets a
// lower confidence, as the engine usually (not always) knows.
type ocrNoise struct {
	r    *rand.Rand
	rate float64
}

func newNoise(seed uint64, rate float64) *ocrNoise {
	return &ocrNoise{r: rand.New(rand.NewPCG(seed, 7)), rate: rate}
}

var noiseSwaps = [][2]string{
	{"ế", "é"}, {"Ế", "É"}, {"ộ", "ọ"}, {"Ộ", "Ọ"}, {"ỉ", "ĩ"}, {"Ỉ", "Ĩ"},
	{"ấ", "á"}, {"ề", "è"}, {"ổ", "ỗ"}, {"Đ", "D"}, {"đ", "d"}, {"1", "l"},
	{"0", "O"}, {"l", "1"}, {"/", "I"}, {"ư", "u"}, {"ơ", "o"}, {"ả", "a"},
	{"ạ", "a"}, {"ă", "a"}, {"Ư", "U"}, {"Ơ", "O"},
}

func (n *ocrNoise) word(w string) (string, float64) {
	if n.r.Float64() >= n.rate {
		return w, 0.9 + 0.07*n.r.Float64()
	}
	out := w
	for tries := 0; tries < 3 && out == w; tries++ {
		s := noiseSwaps[n.r.IntN(len(noiseSwaps))]
		if strings.Contains(out, s[0]) {
			out = strings.Replace(out, s[0], s[1], 1)
		}
	}
	conf := 0.55 + 0.35*n.r.Float64()
	if out == w {
		conf = 0.85
	}
	return out, conf
}

// textWidth estimates the printed width of s in Times New Roman.
func textWidth(s string, size float64) float64 {
	var w float64
	for _, r := range s {
		switch {
		case r == ' ':
			w += 0.25
		case unicode.IsUpper(r):
			w += 0.68
		case unicode.IsDigit(r):
			w += 0.5
		default:
			w += 0.45
		}
	}
	return w * size
}
