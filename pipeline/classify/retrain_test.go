package classify

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline/extract"
)

// wornScanner reads a generated document the way one commune's worn
// scanner does, a style the built-in model never saw: the header, number
// and title are lost under a seal and a dark band (only the body text
// remains, so no rule can name the type), and in a share of the words the
// OCR confuses letters the same way every time (m read as rn, h as li, e as
// c…), as a scanner with its own blur does.
func wornScanner(d fixtures.Doc, seed uint64, rate float64) Labelled {
	r := rand.New(rand.NewPCG(seed, 29))
	confuse := strings.NewReplacer("m", "rn", "h", "li", "e", "c", "n", "ri", "g", "q", "t", "f", "u", "ii", "d", "cl",
		"M", "RN", "H", "LI", "E", "C", "N", "RI", "G", "Q", "T", "F", "U", "II", "D", "CL")
	var b strings.Builder
	for i, ln := range strings.Split(d.BodyText(), "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, w := range strings.Fields(ln) {
			if j > 0 {
				b.WriteByte(' ')
			}
			if r.Float64() < rate {
				w = confuse.Replace(w)
			}
			b.WriteString(w)
		}
	}
	return Labelled{Pages: []ocr.Page{{Text: b.String(), Confidence: 0.7}}, DocType: d.DocType}
}

// correctionsSplit is the experiment behind ConfirmedWeight: documents of
// the worn scanner's style, some confirmed by a clerk (their true type)
// and others, never confirmed, to measure on.
type correctionsSplit struct {
	confirmed []Example
	held      []Labelled
}

func newCorrectionsSplit(confirmed, held int, rate float64) correctionsSplit {
	var s correctionsSplit
	// A seed range apart from the model's training (trainSeed) and test
	// (testSeed) documents.
	for i, d := range fixtures.TrainingSet(4242, confirmed+held) {
		l := wornScanner(d, uint64(i), rate)
		if i < confirmed {
			s.confirmed = append(s.confirmed, Example{Text: l.Text(), DocType: d.DocType, Field: d.Field})
		} else {
			s.held = append(s.held, l)
		}
	}
	return s
}

func generatedExamples() []Example {
	var ex []Example
	for _, d := range fixtures.TrainingSet(trainSeed, trainN) {
		ex = append(ex, Example{Text: d.Text(), DocType: d.DocType, Field: d.Field})
	}
	return ex
}

func generatedHeldOut(n int) []Labelled {
	var out []Labelled
	for _, d := range fixtures.TrainingSet(testSeed, n) {
		l := Labelled{DocType: d.DocType}
		for _, p := range strings.Split(d.Text(), "\f") {
			l.Pages = append(l.Pages, ocr.Page{Text: p, Confidence: 1})
		}
		out = append(out, l)
	}
	return out
}

func share(right, n int) float64 { return 100 * float64(right) / float64(max(n, 1)) }

// TestRetrainOnCorrections retrains on 85 confirmed documents of the worn
// scanner's style (five per type) and measures, on 170 others of that
// style, the built-in and the retrained model. What it asserts is what
// holds: the retrained model has learnt the confirmed documents (it types
// most of them right), and ordinary documents are no worse. Whether it is
// better on the unconfirmed ones is what the benchmark reports; with this
// naive Bayes model it is not (measured 80.0% → 64.7%: the letter
// confusions it learns from five documents a type are noisier evidence than
// the untouched words it had), which is why sohoa train keeps the old
// classifier when the new one measures worse.
func TestRetrainOnCorrections(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models: not in -short")
	}
	before := model(t)
	s := newCorrectionsSplit(85, 170, 0.8)
	after := Retrain(generatedExamples(), s.confirmed, ConfirmedWeight)

	var seen []Labelled
	for _, ex := range s.confirmed {
		seen = append(seen, Labelled{Pages: []ocr.Page{{Text: ex.Text, Confidence: 0.7}}, DocType: ex.DocType})
	}
	sb, sn := Accuracy(before, seen)
	sa, _ := Accuracy(after, seen)
	rb, n := Accuracy(before, s.held)
	ra, _ := Accuracy(after, s.held)
	t.Logf("confirmed documents: before %.1f%%, after %.1f%%; never confirmed: before %d/%d (%.1f%%), after %d/%d (%.1f%%)",
		share(sb, sn), share(sa, sn), rb, n, share(rb, n), ra, n, share(ra, n))
	if share(sa, sn) < 95 || share(sa, sn) <= share(sb, sn) {
		t.Errorf("retrained model types %.1f%% of the documents it was taught (built-in %.1f%%): it did not learn them", share(sa, sn), share(sb, sn))
	}
	gen := generatedHeldOut(170)
	gb, gn := Accuracy(before, gen)
	ga, _ := Accuracy(after, gen)
	t.Logf("ordinary generated documents: before %.1f%%, after %.1f%%", share(gb, gn), share(ga, gn))
	if share(ga, gn) < share(gb, gn)-2 {
		t.Errorf("retraining made ordinary documents worse: %.1f%% → %.1f%%", share(gb, gn), share(ga, gn))
	}
}

// TestRetrainRoundTrips checks the retrained model survives being saved
// and loaded, as sohoa train writes it and the pipeline reads it.
func TestRetrainRoundTrips(t *testing.T) {
	s := newCorrectionsSplit(34, 17, 0.6)
	m := Retrain(generatedExamples()[:200], s.confirmed, ConfirmedWeight)
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range s.held {
		if got, want := back.Classify(l.Text(), extract.Extract(l.Pages)), m.Classify(l.Text(), extract.Extract(l.Pages)); got.DocType != want.DocType || math.Abs(got.TypeConfidence-want.TypeConfidence) > 1e-9 {
			t.Fatalf("loaded model says %s %.3f, saved one %s %.3f", got.DocType, got.TypeConfidence, want.DocType, want.TypeConfidence)
		}
	}
}

// BenchmarkRetrainOnCorrections measures what retraining on clerks'
// corrections buys (measured: nothing on this style, see
// TestRetrainOnCorrections): accuracy on held-out documents of a style the built-in
// model handles poorly (the worn scanner: no header, consistent letter
// confusions) before and after training on confirmed documents of that
// style, for several numbers of confirmations, and on ordinary generated
// documents (which must not get worse).
func BenchmarkRetrainOnCorrections(b *testing.B) {
	before := model(b)
	gen := generatedExamples()
	ordinary := generatedHeldOut(170)
	for _, tc := range []struct {
		name      string
		confirmed int
		weight    int
	}{
		{"confirmed=20", 20, 1},
		{"confirmed=85", 85, 1},
		{"confirmed=85/weight=5", 85, 5},
		{"confirmed=255", 255, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newCorrectionsSplit(tc.confirmed, 340, 0.8)
			var after *Model
			for b.Loop() {
				after = Retrain(gen, s.confirmed, tc.weight)
			}
			rb, n := Accuracy(before, s.held)
			ra, _ := Accuracy(after, s.held)
			ob, on := Accuracy(before, ordinary)
			oa, _ := Accuracy(after, ordinary)
			b.ReportMetric(share(rb, n), "before-%")
			b.ReportMetric(share(ra, n), "after-%")
			b.ReportMetric(share(ob, on), "ordinary-before-%")
			b.ReportMetric(share(oa, on), "ordinary-after-%")
			b.Logf("%s: held-out worn-scanner documents %.1f%% → %.1f%% (%d), ordinary %.1f%% → %.1f%% (%d)",
				tc.name, share(rb, n), share(ra, n), n, share(ob, on), share(oa, on), on)
		})
	}
}
