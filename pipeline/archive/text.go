package archive

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"sohoa/ocr"
)

// maxWordCodes is the most characters drawn for one word.
const maxWordCodes = 8192

// textLine is the words of one OCR line, in reading order.
type textLine struct {
	line  int
	first int // index of the line's first word in the page, to keep ties stable
	words []ocr.Word
	codes [][]uint16
}

// groupLines gathers the page's drawable words by line, lines in reading
// order and words in the order the engine gave them.
func groupLines(words []ocr.Word) []*textLine {
	byLine := map[int]*textLine{}
	var lines []*textLine
	for i, w := range words {
		codes := textCodes(norm.NFC.String(strings.TrimSpace(w.Text)))
		if len(codes) == 0 || w.Box.Dx() <= 0 || w.Box.Dy() <= 0 {
			continue
		}
		// PDF/A caps a string at 32,767 bytes; no real word comes near.
		codes = codes[:min(len(codes), maxWordCodes)]
		l := byLine[w.Line]
		if l == nil {
			l = &textLine{line: w.Line, first: i}
			byLine[w.Line] = l
			lines = append(lines, l)
		}
		l.words = append(l.words, w)
		l.codes = append(l.codes, codes)
	}
	slices.SortStableFunc(lines, func(a, b *textLine) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.first, b.first))
	})
	return lines
}

// writeText appends the page's invisible text layer to content. Word boxes
// are in pixels of a refW × refH image, origin top left; the page is
// pageW × pageH points, origin bottom left.
//
// Every word of a line shares the line's font size (the height of the
// line's boxes) and baseline (their bottom), which keeps text extraction
// from splitting a line at a word with a descender or a capital. Each word
// then starts at its box's left edge and is stretched with Tz to the box's
// width (a little less when the next word is too close). A space glyph
// stretched over the gap follows every word but the last of its line, so
// extracted text has spaces between words, and lines end where the OCR
// lines end.
func writeText(content *bytes.Buffer, words []ocr.Word, refW, refH int, pageW, pageH float64) {
	lines := groupLines(words)
	if len(lines) == 0 || refW <= 0 || refH <= 0 {
		return
	}
	sx, sy := pageW/float64(refW), pageH/float64(refH)
	// advance is a glyph's width in text space at font size 1 and Tz 100.
	const advance = glyphAdvance / 1000.0

	fmt.Fprintf(content, "BT\n3 Tr\n")
	for _, l := range lines {
		top, bottom := l.words[0].Box.Min.Y, l.words[0].Box.Max.Y
		for _, w := range l.words[1:] {
			top, bottom = min(top, w.Box.Min.Y), max(bottom, w.Box.Max.Y)
		}
		size := float64(bottom-top) * sy
		baseline := pageH - float64(bottom)*sy
		fmt.Fprintf(content, "/%s %s Tf\n", fontResource, num(size))
		for i, w := range l.words {
			x := float64(w.Box.Min.X) * sx
			width := float64(w.Box.Dx()) * sx
			last := i+1 == len(l.words)
			var next float64
			if !last {
				// Extractors tell words apart by the gap between them,
				// measured against the font size, whatever space
				// characters say (pdftotext -raw wants 0.15 of it). When
				// the boxes leave less, or overlap, the word ends early,
				// still inside its box.
				next = float64(l.words[i+1].Box.Min.X) * sx
				if next > x {
					width = max(min(width, next-minWordGap*size-x), width/10)
				}
			}
			codes := l.codes[i]
			fmt.Fprintf(content, "%s Tz 1 0 0 1 %s %s Tm <%s> Tj\n",
				num(stretch(width, len(codes), size*advance)), num(x), num(baseline), hexCodes(codes))
			if !last {
				// Overlapping boxes still get a space, however narrow.
				gap := max(next-(x+width), size*0.05)
				fmt.Fprintf(content, "%s Tz <0020> Tj\n", num(stretch(gap, 1, size*advance)))
			}
		}
	}
	fmt.Fprintf(content, "ET\n")
}

// minWordGap is the least gap between two words of a line, as a fraction of
// the font size (the line's height).
const minWordGap = 0.2

// stretch is the horizontal scaling, in percent, that makes n glyphs of
// natural width glyph span width.
func stretch(width float64, n int, glyph float64) float64 {
	if n == 0 || glyph <= 0 {
		return 100
	}
	// Keep a usable value for absurd boxes; num rounds to 3 decimals.
	return min(max(100*width/(float64(n)*glyph), 0.01), 1e6)
}

// hexCodes writes 2-byte character codes as a hex string body.
func hexCodes(codes []uint16) string {
	var b strings.Builder
	b.Grow(4 * len(codes))
	for _, c := range codes {
		fmt.Fprintf(&b, "%04X", c)
	}
	return b.String()
}
