package classify

import (
	"fmt"
	"strings"

	"sohoa/pipeline/extract"
	"sohoa/pipeline/vntext"
)

// typeAbbrev is the type abbreviation each type carries in its notation
// (Phụ lục III, Nghị định 30/2020/NĐ-CP): the inverse of symbolType.
var typeAbbrev = func() map[string]string {
	m := map[string]string{}
	for a, t := range symbolType {
		m[t] = a
	}
	return m
}()

// ReconcileNumber checks the type abbreviation of a number's notation
// against the type the document was classified as. A document's notation
// names its own type ("86/QĐ-UBND" is a quyết định), so when a confident
// type and the printed abbreviation disagree, one of them was misread:
//
//   - an abbreviation one letter away from the type's ("PC" on a báo cáo,
//     "H" on a kế hoạch), or two letters away and no abbreviation at all
//     ("RP" on a thông báo), is OCR's misreading of the type's: it is
//     restored, at a lower confidence;
//   - any other disagreement is left as printed, at a confidence below the
//     review threshold, so a person decides.
//
// Types without an abbreviation of their own (letters, certificates) and
// types below the threshold leave the number as it is. The returned
// reason is empty when nothing changed.
func ReconcileNumber(res Result, number extract.Value, threshold float64) (extract.Value, string) {
	abbr, ok := typeAbbrev[res.DocType]
	if !ok || res.TypeConfidence < threshold || number.Value == "" {
		return number, ""
	}
	code, notation := extract.SplitNumber(number.Value)
	first, rest, found := strings.Cut(notation, "-")
	if !found || first == abbr || rest == "" {
		return number, ""
	}
	d := vntext.Distance(vntext.Fold(first), vntext.Fold(abbr))
	switch {
	case d == 0:
		// The same letters without the stroke of Đ ("QD"): restore it.
		number.Value = code + "/" + abbr + "-" + rest
		return number, fmt.Sprintf("notation %s → %s (type %s)", first, abbr, res.DocType)
	case d == 1 || (d == 2 && !extract.IsTypeAbbrev(first) && len([]rune(first)) <= len([]rune(abbr))+1):
		number.Value = code + "/" + abbr + "-" + rest
		number.Confidence *= 1 - 0.1*float64(d)
		return number, fmt.Sprintf("notation %s read as %s, the abbreviation of %s", first, abbr, res.DocType)
	}
	number.Confidence = min(number.Confidence, threshold*0.9)
	return number, fmt.Sprintf("notation %s does not name type %s (%s): review", first, res.DocType, abbr)
}
