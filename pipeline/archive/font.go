package archive

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"fmt"
	"strings"
)

// The text layer does not use a real font. pdfcpu's TrueType embedding
// (v0.15.0, pkg/pdfcpu/font/fontDict.go) writes a ToUnicode map for only the
// first 100 glyphs of a font, so letters such as Ủ or Ộ would lose their
// Unicode value and could not be searched. Instead, like Tesseract's and
// OCRmyPDF's renderers, every character code is a UTF-16 code unit drawn
// with one invisible glyph: a Type0 font with Identity-H encoding whose
// CIDFontType2 descendant maps every CID to glyph 1 of a tiny font program,
// and whose ToUnicode map sends each code back to the same code unit.

// glyphlessFont is Tesseract's pdf.ttf: glyph 0 is .notdef, glyph 1 is the
// glyph every character is drawn with. See NOTICE.md.
//
//go:embed glyphless.ttf
var glyphlessFont []byte

const (
	fontName = "GlyphLessFont"
	// glyphAdvance is glyph 1's advance in text space units (1/1000 em):
	// 1024 of the program's 2048 units per em. PDF/A wants /DW to match it.
	glyphAdvance = 500
	// fontResource is the name pages use for the font.
	fontResource = "F0"
)

// writeFont writes the glyphless font's objects and returns the Type0 font's
// object number.
func writeFont(o *objectWriter) int {
	type0, cidFont, descriptor := o.reserve(), o.reserve(), o.reserve()
	program, cidToGID, toUnicode := o.reserve(), o.reserve(), o.reserve()

	o.object(type0, fmt.Sprintf("<</Type /Font /Subtype /Type0 /BaseFont /%s"+
		" /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R>>",
		fontName, cidFont, toUnicode))
	o.object(cidFont, fmt.Sprintf("<</Type /Font /Subtype /CIDFontType2 /BaseFont /%s"+
		" /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>>"+
		" /FontDescriptor %d 0 R /DW %d /CIDToGIDMap %d 0 R>>",
		fontName, descriptor, glyphAdvance, cidToGID))
	// Flags 4: symbolic (the glyphs are not from the standard Latin set).
	// The box is glyph 1's: half an em wide, one em high above the
	// baseline, so a word's selection box is the height of its line.
	o.object(descriptor, fmt.Sprintf("<</Type /FontDescriptor /FontName /%s /Flags 4"+
		" /FontBBox [0 0 %d 1000] /ItalicAngle 0 /Ascent 1000 /Descent -1"+
		" /CapHeight 1000 /StemV 80 /FontFile2 %d 0 R>>",
		fontName, glyphAdvance, program))
	o.stream(program, fmt.Sprintf("/Length1 %d /Filter /FlateDecode", len(glyphlessFont)),
		deflate(glyphlessFont))

	// Every CID (two bytes each, 65,536 of them) maps to glyph 1, so no text
	// ever shows .notdef, which PDF/A forbids even for invisible text.
	gids := bytes.Repeat([]byte{0, 1}, 1<<16)
	o.stream(cidToGID, " /Filter /FlateDecode", deflate(gids))
	o.stream(toUnicode, " /Filter /FlateDecode", deflate([]byte(toUnicodeCMap())))
	return type0
}

// toUnicodeCMap maps every 2-byte code to the UTF-16 code unit of the same
// value. A bfrange may not cross a change of the first byte, so there is one
// range per first byte; surrogates, U+0000 and the non-characters U+FFFE and
// U+FFFF are left out because text never uses them (see textCodes).
func toUnicodeCMap() string {
	var ranges []string
	for hi := 0; hi <= 0xff; hi++ {
		if hi >= 0xd8 && hi <= 0xdf {
			continue
		}
		first, last := hi<<8, hi<<8|0xff
		if hi == 0 {
			first = 1
		}
		if hi == 0xff {
			last = 0xfffd
		}
		ranges = append(ranges, fmt.Sprintf("<%04X> <%04X> <%04X>\n", first, last, first))
	}
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	// A CMap section holds at most 100 entries.
	for len(ranges) > 0 {
		n := min(len(ranges), 100)
		fmt.Fprintf(&b, "%d beginbfrange\n", n)
		for _, r := range ranges[:n] {
			b.WriteString(r)
		}
		b.WriteString("endbfrange\n")
		ranges = ranges[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.String()
}

// textCodes turns text (already NFC) into the font's character codes: its
// UTF-16 code units. Control characters are dropped; characters outside
// the Basic Multilingual Plane, which the ToUnicode map cannot express one
// code at a time, become U+FFFD. Every Vietnamese letter is in the BMP.
func textCodes(s string) []uint16 {
	codes := make([]uint16, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			continue
		case r > 0xffff || (r >= 0xd800 && r <= 0xdfff) || r == 0xfffe || r == 0xffff:
			r = '\uFFFD'
		}
		codes = append(codes, uint16(r))
	}
	return codes
}

// deflate compresses small data held in memory.
func deflate(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}
