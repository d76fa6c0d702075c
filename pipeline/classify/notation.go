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

// certNotation is the whole notation a certificate's number carries, for
// the certificates whose number has one: "Số: 29/GPXD" on a building permit
// (Thông tư 15/2016/TT-BXD), "Số: 52/TLKH-BS" on an extract of a marriage
// or a death (Thông tư 04/2020/TT-BTP).
var certNotation = map[string]string{GiayPhepXayDung: "GPXD", TrichLucKetHon: "TLKH", TrichLucKhaiTu: "TLKT"}

// titleAbbrev is the type abbreviation of Phụ lục III for the titles whose
// type is "khac" here (a biên bản, a hợp đồng): their notation names them
// as a decision's names it.
var titleAbbrev = map[string]string{
	"QUY CHẾ": "QC", "QUY ĐỊNH": "QyĐ", "THÔNG CÁO": "TC", "HƯỚNG DẪN": "HD",
	"CHƯƠNG TRÌNH": "CTr", "PHƯƠNG ÁN": "PA", "ĐỀ ÁN": "ĐA", "BIÊN BẢN": "BB",
	"HỢP ĐỒNG": "HĐ", "CÔNG ĐIỆN": "CĐ", "GIẤY ỦY QUYỀN": "GUQ", "GIẤY GIỚI THIỆU": "GGT",
}

// expectedAbbrev is the abbreviation the notation of a document of res's
// type, titled title, opens with; "" when the type has none or is unsure.
func expectedAbbrev(res Result, title string, threshold float64) (abbr, why string) {
	if res.TypeConfidence < threshold {
		return "", ""
	}
	if a, ok := typeAbbrev[res.DocType]; ok {
		return a, "type " + res.DocType
	}
	if a, ok := certNotation[res.DocType]; ok {
		return a, "type " + res.DocType
	}
	if res.DocType == TypeOther && title != "" {
		if t, dist, ok := extract.MatchTitle(title); ok && dist <= 1 && titleAbbrev[t] != "" {
			return titleAbbrev[t], "title " + t
		}
	}
	return "", ""
}

// ReconcileNumber checks the type abbreviation of a number's notation
// against the type the document was classified as, or for a type "khac"
// against its title (Phụ lục III, Nghị định 30/2020/NĐ-CP). A document's
// notation names its own type ("86/QĐ-UBND" is a quyết định, "29/GPXD" a
// building permit, "12/BB-UBND" a biên bản), so when a confident type and
// the printed abbreviation disagree, one of them was misread:
//
//   - an abbreviation one letter away from the type's ("PC" on a báo cáo,
//     "H" on a kế hoạch, "CPXD" on a permit), or two letters away and no
//     abbreviation at all ("RP" on a thông báo), or the type's with one or
//     two letters of a seal's or a stamp's junk before it ("MÂNQ" on a
//     nghị quyết), is OCR's misreading of the type's: it is restored, at a
//     lower confidence;
//   - any other disagreement is left as printed, at a confidence below the
//     review threshold, so a person decides.
//
// Types without an abbreviation of their own (letters, most certificates)
// and types below the threshold leave the number as it is. The returned
// reason is empty when nothing changed.
func ReconcileNumber(res Result, f extract.Fields, threshold float64) (extract.Value, string) {
	number := f.Number
	abbr, source := expectedAbbrev(res, f.Title.Value, threshold)
	if abbr == "" || number.Value == "" {
		return number, ""
	}
	code, notation := extract.SplitNumber(number.Value)
	first, rest, found := strings.Cut(notation, "-")
	if !found {
		// A certificate's notation may be its abbreviation alone
		// ("GPXD"); anything else needs the part after the hyphen.
		if _, whole := certNotation[res.DocType]; !whole {
			return number, ""
		}
	}
	if first == abbr || first == "" || found && rest == "" {
		return number, ""
	}
	restore := func() {
		number.Value = code + "/" + abbr
		if found {
			number.Value += "-" + rest
		}
	}
	ff, fa := vntext.Fold(first), vntext.Fold(abbr)
	d := vntext.Distance(ff, fa)
	extra := len([]rune(ff)) - len([]rune(fa))
	switch {
	case d == 0:
		// The same letters without the stroke of Đ ("QD"): restore it.
		restore()
		return number, fmt.Sprintf("notation %s → %s (%s)", first, abbr, source)
	case d == 1 || (d == 2 && !extract.IsTypeAbbrev(first) && extra <= 1):
		restore()
		number.Confidence *= 1 - 0.1*float64(d)
		return number, fmt.Sprintf("notation %s read as %s, the abbreviation of %s", first, abbr, source)
	case strings.HasSuffix(ff, fa) && extra <= 2 && !extract.IsTypeAbbrev(first) && !isAbbrevFold(ff[:len(ff)-len(fa)]):
		restore()
		number.Confidence *= 0.8
		return number, fmt.Sprintf("notation %s read as %s after junk, the abbreviation of %s", first, abbr, source)
	}
	number.Confidence = min(number.Confidence, threshold*0.9)
	return number, fmt.Sprintf("notation %s does not name %s (%s): review", first, source, abbr)
}

// isAbbrevFold reports whether the folded upper- or lower-case f is some
// type abbreviation's folded form ("tb", "qd").
func isAbbrevFold(f string) bool {
	for a := range symbolType {
		if vntext.Fold(a) == f {
			return true
		}
	}
	for _, a := range titleAbbrev {
		if vntext.Fold(a) == f {
			return true
		}
	}
	return false
}
