package extract

import (
	"testing"

	"sohoa/pipeline/vntext"
)

// TestRealSamples runs extraction on Tesseract's reading of the seven real
// scans and reports accuracy per field. Where the handwritten number or day
// is unreadable, the contract is an empty or low-confidence value, never a
// confident wrong one.
func TestRealSamples(t *testing.T) {
	docs := loadReal(t)
	type tally struct{ right, empty, lowWrong, confWrong int }
	tallies := map[string]*tally{}
	check := func(doc, field, got, want string, conf float64, folded bool) {
		tl := tallies[field]
		if tl == nil {
			tl = &tally{}
			tallies[field] = tl
		}
		eq := got == want
		if folded {
			eq = vntext.Fold(got) == vntext.Fold(want)
		}
		switch {
		case eq:
			tl.right++
		case got == "":
			tl.empty++
		case conf < 0.5:
			tl.lowWrong++
			t.Logf("%s %s: got %q (%.2f), want %q (low confidence)", doc, field, got, conf, want)
		default:
			tl.confWrong++
			t.Errorf("%s %s: got %q with confidence %.2f, want %q", doc, field, got, conf, want)
		}
	}
	for _, d := range docs {
		f := Extract(d.pages)
		t.Logf("%s: %+v", d.prefix, f)
		check(d.prefix, "number", f.Number.Value, d.labels["so_ky_hieu"], f.Number.Confidence, false)
		check(d.prefix, "issued", f.Issued.Value, d.labels["ngay_ban_hanh"], f.Issued.Confidence, false)
		check(d.prefix, "issuer", f.Issuer.Value, d.labels["co_quan_ban_hanh"], f.Issuer.Confidence, false)
		check(d.prefix, "title", f.Title.Value, d.labels["title_line"], f.Title.Confidence, false)
		check(d.prefix, "subject(folded)", f.Subject.Value, d.labels["trich_yeu"], f.Subject.Confidence, true)
		check(d.prefix, "subject(exact)", f.Subject.Value, d.labels["trich_yeu"], 0, false)
		if f.Issued.Value == "2024-03-18" || f.Issued.Value == "2025-02-04" && d.prefix != "574_UB" {
			t.Errorf("%s: issue date taken from the signature stamp", d.prefix)
		}
	}
	for _, k := range []string{"number", "issued", "issuer", "title", "subject(folded)", "subject(exact)"} {
		tl := tallies[k]
		t.Logf("%-16s right %d/%d, empty %d, wrong with low confidence %d, wrong with high confidence %d",
			k, tl.right, len(docs), tl.empty, tl.lowWrong, tl.confWrong)
	}
	// Floors at what this OCR output allows: header, title and subject are
	// printed and read; the handwritten numbers and days mostly are not.
	for k, floor := range map[string]int{"issuer": 7, "title": 7, "subject(folded)": 7, "number": 1, "issued": 1} {
		if tallies[k].right < floor {
			t.Errorf("%s: %d right, was %d", k, tallies[k].right, floor)
		}
	}
}
