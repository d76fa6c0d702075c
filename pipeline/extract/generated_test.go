package extract

import (
	"fmt"
	"testing"

	"sohoa/fixtures"
	"sohoa/pipeline/vntext"
)

type fieldScore struct {
	right, empty, wrong, wrongHigh, n int
}

func (s fieldScore) String() string {
	return fmt.Sprintf("right %d/%d (%.1f%%), empty %d, wrong %d (of which confidence ≥ 0.8: %d)",
		s.right, s.n, 100*float64(s.right)/float64(max(1, s.n)), s.empty, s.wrong, s.wrongHigh)
}

func score(s *fieldScore, got Value, want string) bool {
	if want == "" {
		return true
	}
	s.n++
	switch {
	case got.Value == want:
		s.right++
		return true
	case got.Value == "":
		s.empty++
	default:
		s.wrong++
		if got.Confidence >= 0.8 {
			s.wrongHigh++
		}
	}
	return false
}

// TestGeneratedDocuments measures extraction on generated documents the
// code was not written against (seeds 9000+), as a text layer, as word
// boxes and as word boxes with OCR noise. The floors are what the code
// does with margin, not targets it was tuned to.
func TestGeneratedDocuments(t *testing.T) {
	docs := fixtures.TrainingSet(9000, 200)
	modes := []struct {
		name  string
		floor map[string]float64
		pages func(i int, d fixtures.Doc) Fields
	}{
		{"text", map[string]float64{"number": 0.95, "issued": 0.95, "issuer": 0.9, "title": 0.95, "subject": 0.85},
			func(i int, d fixtures.Doc) Fields { return Extract(textPages(d)) }},
		{"boxes", map[string]float64{"number": 0.95, "issued": 0.95, "issuer": 0.9, "title": 0.95, "subject": 0.85},
			func(i int, d fixtures.Doc) Fields { return Extract(boxPages(d, nil)) }},
		{"boxes+noise", map[string]float64{"number": 0.75, "issued": 0.8, "issuer": 0.6, "title": 0.9, "subject": 0.5},
			func(i int, d fixtures.Doc) Fields { return Extract(boxPages(d, newNoise(uint64(i), 0.08))) }},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sc := map[string]*fieldScore{"number": {}, "issued": {}, "issuer": {}, "title": {}, "subject": {}}
			shown := 0
			for i, d := range docs {
				f := m.pages(i, d)
				ok := score(sc["number"], f.Number, d.Number)
				ok = score(sc["issued"], f.Issued, d.IssuedOn) && ok
				ok = score(sc["issuer"], f.Issuer, canonicalUpper(d.Issuer)) && ok
				ok = score(sc["title"], f.Title, d.Title) && ok
				ok = score(sc["subject"], f.Subject, vntext.NFC(d.Subject)) && ok
				if !ok && shown < 8 && testing.Verbose() {
					shown++
					t.Logf("%s seed %d: got %+v\nwant number %q issued %q issuer %q title %q subject %q",
						d.DocType, d.Seed, f, d.Number, d.IssuedOn, d.Issuer, d.Title, d.Subject)
				}
			}
			for _, k := range []string{"number", "issued", "issuer", "title", "subject"} {
				s := sc[k]
				t.Logf("%-8s %v", k, s)
				if s.n > 0 && float64(s.right)/float64(s.n) < m.floor[k] {
					t.Errorf("%s accuracy %.3f below %.2f", k, float64(s.right)/float64(s.n), m.floor[k])
				}
			}
		})
	}
}
