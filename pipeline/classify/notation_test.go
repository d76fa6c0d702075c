package classify

import (
	"testing"

	"sohoa/pipeline/extract"
)

func TestReconcileNumber(t *testing.T) {
	const thr = 0.85
	for _, c := range []struct {
		docType  string
		typeConf float64
		number   string
		want     string
		review   bool // confidence pushed under the threshold
		title    string
	}{
		{BaoCao, 0.99, "390/PC-PTP", "390/BC-PTP", false, ""},     // one letter misread, though PC is an abbreviation
		{BaoCao, 0.99, "73/BG-UBND", "73/BC-UBND", false, ""},     // BG is no abbreviation
		{KeHoach, 0.99, "65/H-UBND", "65/KH-UBND", false, ""},     // a letter lost
		{ThongBao, 0.99, "131/RP-UBND", "131/TB-UBND", true, ""},  // two letters, RP no abbreviation: restored, but checked
		{QuyetDinh, 0.99, "86/QD-UBND", "86/QĐ-UBND", false, ""},  // the stroke of Đ
		{QuyetDinh, 0.99, "86/QĐ-UBND", "86/QĐ-UBND", false, ""},  // agrees
		{QuyetDinh, 0.99, "86/TB-UBND", "86/TB-UBND", true, ""},   // another real abbreviation: a person decides
		{QuyetDinh, 0.99, "123/UBND-VP", "123/UBND-VP", true, ""}, // a letter's notation on a decision
		{QuyetDinh, 0.60, "86/TB-UBND", "86/TB-UBND", false, ""},  // the type itself is unsure: leave it
		{CongVan, 0.99, "123/UBND-VP", "123/UBND-VP", false, ""},  // letters carry no type abbreviation
		{GiayPhepXayDung, 0.99, "29/GPXD", "29/GPXD", false, ""},  // no notation hyphen
		{GiayPhepXayDung, 0.99, "19/CPXD", "19/GPXD", false, ""},  // a letter misread, no hyphen
		{GiayPhepXayDung, 0.99, "09/SPXP", "09/GPXD", true, ""},   // two letters
		{TrichLucKhaiTu, 0.99, "99/RLKT-BS", "99/TLKT-BS", false, ""},
		{TrichLucKetHon, 0.99, "52/TLKH-BS", "52/TLKH-BS", false, ""}, // agrees
		{GiayKhaiSinh, 0.99, "239", "239", false, ""},                 // a birth certificate's number has no notation
		{NghiQuyet, 0.99, "400/MÂNQ-HĐND", "400/NQ-HĐND", true, ""},
		{KeHoach, 0.99, "312/ØŒ-UBND", "312/KH-UBND", true, ""},       // the type read as junk (extract keeps it for this)   // a seal's junk before the abbreviation
		{NghiQuyet, 0.99, "400/TBNQ-HĐND", "400/TBNQ-HĐND", true, ""}, // junk is no abbreviation: TB is
		{TypeOther, 0.99, "114/MB-UBND", "114/HĐ-UBND", true, "HỢP ĐỒNG"},
		{TypeOther, 0.99, "296/B-UBND", "296/BB-UBND", false, "BIÊN BẢN"},
		{TypeOther, 0.99, "296/B-UBND", "296/B-UBND", false, ""},           // no title: nothing to check against
		{TypeOther, 0.99, "296/QĐ-UBND", "296/QĐ-UBND", true, "BIÊN BẢN"},  // another abbreviation: a person decides
		{TypeOther, 0.60, "114/MB-UBND", "114/MB-UBND", false, "HỢP ĐỒNG"}, // unsure type
		{QuyetDinh, 0.99, "", "", false, ""},
	} {
		f := extract.Fields{Number: extract.Value{Value: c.number, Confidence: 0.95}, Title: extract.Value{Value: c.title, Confidence: 0.9}}
		got, why := ReconcileNumber(Result{DocType: c.docType, TypeConfidence: c.typeConf}, f, thr)
		if got.Value != c.want {
			t.Errorf("%s %q → %q (%s), want %q", c.docType, c.number, got.Value, why, c.want)
		}
		if review := got.Confidence < thr; review != c.review {
			t.Errorf("%s %q: confidence %.2f (%s), review %v, want %v", c.docType, c.number, got.Confidence, why, review, c.review)
		}
		if (why == "") != (got == extract.Value{Value: c.number, Confidence: 0.95}) {
			t.Errorf("%s %q: reason %q does not match the change %+v", c.docType, c.number, why, got)
		}
	}
}
