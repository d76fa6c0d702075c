package classify

import (
	"strings"

	"sohoa/ocr"
	"sohoa/pipeline/extract"
)

// ConfirmedWeight is how many generated documents one confirmed record
// counts as when retraining. Counting a confirmed record several times
// (it is the archive's own wording) seemed worth trying;
// BenchmarkRetrainOnCorrections measured it no better than once (85
// confirmed worn-scanner documents: 64.7% held-out at 1, 62.4% at 5), so
// it is 1.
const ConfirmedWeight = 1

// Retrain fits a model to generated examples together with the ones people
// confirmed. Temperatures and rule reliabilities are measured as Train
// does, with every example once; the confirmed examples then count weight
// times in the word counts (weight < 1 counts them once).
func Retrain(generated, confirmed []Example, weight int) *Model {
	all := make([]Example, 0, len(generated)+len(confirmed))
	all = append(append(all, generated...), confirmed...)
	m := Train(all)
	for i := 1; i < weight; i++ {
		for _, ex := range confirmed {
			m.Add(ex)
		}
	}
	return m
}

// Labelled is a document as OCR read it, with the type a person gave it.
type Labelled struct {
	Pages   []ocr.Page
	DocType string
}

// Text is the document's text the way the pipeline joins it (pages
// separated by form feeds).
func (l Labelled) Text() string {
	parts := make([]string, len(l.Pages))
	for i, p := range l.Pages {
		parts[i] = p.Text
	}
	return strings.Join(parts, "\n\f")
}

// Accuracy returns how many of docs m types right, classifying each the
// way the pipeline does (its text and the fields extracted from its
// pages), and how many there were.
func Accuracy(m *Model, docs []Labelled) (right, n int) {
	for _, d := range docs {
		if m.Classify(d.Text(), extract.Extract(d.Pages)).DocType == d.DocType {
			right++
		}
	}
	return right, len(docs)
}
