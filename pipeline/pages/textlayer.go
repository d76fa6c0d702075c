package pages

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// The text-layer rule. A PDF page's own text is trusted instead of OCR
// when all of these hold:
//
//  1. The page is not a scan: it is not one full-page image (a scan's text,
//     if any, is a scanner's invisible OCR layer or a signature stamp, and
//     we OCR the image ourselves with the Vietnamese model).
//  2. Its content stream does not draw text only invisibly (rendering mode
//     3 or 7): a page whose only text is invisible is an OCR layer over an
//     image, however the image is laid out.
//  3. pdftotext finds at least minTextLetters letters outside annotation
//     appearances. Annotations (the digital-signature stamp "Ký bởi / Cơ
//     quan / Thời gian ký" is one) are added on top of a document and say
//     nothing about whether its body is born-digital.
//  4. The text is not mojibake from a legacy Vietnamese font encoding
//     (TCVN3/ABC, VNI) or a font without a Unicode map: at most
//     maxSuspectRatio of its letters are characters Vietnamese text never
//     uses (®, Þ, ñ, ï, ¸, U+FFFD, private use, ...).
//
// When it holds, TextLayer holds every word pdftotext finds, stamp
// included (it is drawn on the rendered image too), in pdftotext's reading
// order, boxes scaled to the rendered image, Confidence 1.
const (
	minTextLetters  = 40
	maxSuspectRatio = 0.05
)

// bboxHTML is the XHTML pdftotext -bbox-layout writes.
type bboxHTML struct {
	Pages []struct {
		Width  float64 `xml:"width,attr"`
		Height float64 `xml:"height,attr"`
		Flows  []struct {
			Blocks []struct {
				Lines []struct {
					Words []bboxWord `xml:"word"`
				} `xml:"line"`
			} `xml:"block"`
		} `xml:"flow"`
	} `xml:"body>doc>page"`
}

type bboxWord struct {
	XMin float64 `xml:"xMin,attr"`
	YMin float64 `xml:"yMin,attr"`
	XMax float64 `xml:"xMax,attr"`
	YMax float64 `xml:"yMax,attr"`
	Text string  `xml:",chardata"`
}

// rect is a rectangle in points, origin top left of the displayed page.
type rect struct{ x0, y0, x1, y1 float64 }

func (r rect) contains(x, y float64) bool {
	return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1
}

// extractText runs pdftotext on page n and returns its text layer scaled to
// a width×height image, or nil when the text-layer rule rejects it.
func extractText(ctx context.Context, path string, n, width, height int, annots []rect, opts Options) (*ocr.Page, error) {
	out, err := runPoppler(ctx, opts, 64<<20, "pdftotext",
		"-f", strconv.Itoa(n), "-l", strconv.Itoa(n), "-bbox-layout", "-cropbox", "-q", absPath(path), "-")
	if err != nil {
		return nil, err
	}
	return parseTextLayer(out, width, height, annots)
}

// parseTextLayer applies rules 3 and 4 to pdftotext -bbox-layout output.
func parseTextLayer(out []byte, width, height int, annots []rect) (*ocr.Page, error) {
	var doc bboxHTML
	dec := xml.NewDecoder(bytes.NewReader(sanitizeXML(out)))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse pdftotext output: %w", err)
	}
	if len(doc.Pages) != 1 || doc.Pages[0].Width <= 0 || doc.Pages[0].Height <= 0 {
		return nil, nil
	}
	pg := doc.Pages[0]
	sx, sy := float64(width)/pg.Width, float64(height)/pg.Height
	page := &ocr.Page{Confidence: 1, Width: width, Height: height}
	var text strings.Builder
	var letters, suspect int
	line := 0
	for _, f := range pg.Flows {
		for _, b := range f.Blocks {
			for _, l := range b.Lines {
				var words []string
				for _, w := range l.Words {
					t := vntext.NFC(strings.TrimSpace(w.Text))
					if t == "" {
						continue
					}
					cx, cy := (w.XMin+w.XMax)/2, (w.YMin+w.YMax)/2
					if !inAny(annots, cx, cy) {
						nl, ns := countLetters(t)
						letters += nl
						suspect += ns
					}
					words = append(words, t)
					page.Words = append(page.Words, ocr.Word{
						Text: t,
						Box: image.Rect(
							clampInt(int(math.Floor(w.XMin*sx)), 0, width),
							clampInt(int(math.Floor(w.YMin*sy)), 0, height),
							clampInt(int(math.Ceil(w.XMax*sx)), 0, width),
							clampInt(int(math.Ceil(w.YMax*sy)), 0, height)),
						Confidence: 1,
						Line:       line,
					})
				}
				if len(words) == 0 {
					continue
				}
				if line > 0 {
					text.WriteByte('\n')
				}
				text.WriteString(strings.Join(words, " "))
				line++
			}
		}
	}
	if letters < minTextLetters || float64(suspect) > maxSuspectRatio*float64(letters+suspect) {
		return nil, nil
	}
	page.Text = text.String()
	return page, nil
}

func inAny(rs []rect, x, y float64) bool {
	for _, r := range rs {
		if r.contains(x, y) {
			return true
		}
	}
	return false
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// sanitizeXML drops the control characters XML forbids, which pdftotext
// passes through from fonts with broken Unicode maps.
func sanitizeXML(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, b)
}

// countLetters counts the letters of s and, separately, the suspect runes:
// those Vietnamese (and English) text never contains but legacy-font
// mojibake is full of.
func countLetters(s string) (letters, suspect int) {
	for _, r := range s {
		switch {
		case r == unicode.ReplacementChar, unicode.Is(unicode.Co, r), unicode.IsControl(r):
			suspect++
		case r >= 0xa1 && r <= 0xbf, r == 0xd7, r == 0xf7:
			// Latin-1 symbols (® ¸ µ ¶ ...): TCVN3 puts Vietnamese
			// letters there.
			suspect++
		case unicode.IsLetter(r):
			if r >= 0xc0 && r <= 0x24f && !isVietnameseLetter(r) {
				suspect++
			} else {
				letters++
			}
		}
	}
	return letters, suspect
}

// isVietnameseLetter reports whether a Latin letter from U+00C0..U+024F
// occurs in Vietnamese: đ/Đ, or a vowel carrying only Vietnamese marks.
func isVietnameseLetter(r rune) bool {
	if r == 'đ' || r == 'Đ' {
		return true
	}
	d := norm.NFD.String(string(r))
	base, marks := rune(d[0]), d[1:]
	if !strings.ContainsRune("aeiouyAEIOUY", base) || marks == "" {
		return false
	}
	for _, m := range marks {
		switch m {
		case 0x300, 0x301, 0x303, 0x309, 0x323, // tones
			0x302, 0x306, 0x31b: // circumflex, breve, horn
		default:
			return false
		}
	}
	return true
}
