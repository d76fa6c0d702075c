// Package vntext holds the Vietnamese text rules every stage shares:
// Unicode NFC normalisation and accent folding for search and matching.
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normalisation form C, the form Vietnamese text is
// stored and compared in.
func NFC(s string) string { return norm.NFC.String(s) }

// Fold returns s in NFC with every letter lower-cased and stripped of its
// diacritics, with đ/Đ folded to d explicitly (Unicode does not decompose
// đ, so a plain remove-diacritics pass leaves it). Fold maps each rune of
// NFC(s) to exactly one rune, so rune offsets in the folded text are rune
// offsets in NFC(s): callers use that to highlight matches in the original.
func Fold(s string) string {
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(FoldRune(r))
	}
	return b.String()
}

// foldTable holds FoldRune for every rune below its length (Latin,
// Latin Extended, Vietnamese in Latin Extended Additional), so the hot
// path of Fold neither decomposes nor allocates.
var foldTable = func() []rune {
	t := make([]rune, 0x2000)
	for r := range t {
		t[r] = foldRuneSlow(rune(r))
	}
	return t
}()

// FoldRune folds one NFC rune as Fold does.
func FoldRune(r rune) rune {
	if r >= 0 && int(r) < len(foldTable) {
		return foldTable[r]
	}
	return foldRuneSlow(r)
}

func foldRuneSlow(r rune) rune {
	switch r {
	case 'đ', 'Đ':
		return 'd'
	}
	if r < 0x80 {
		return unicode.ToLower(r)
	}
	d := norm.NFD.String(string(r))
	for _, c := range d {
		// The first rune of the decomposition is the base letter; the
		// rest are combining marks.
		return unicode.ToLower(c)
	}
	return unicode.ToLower(r)
}
