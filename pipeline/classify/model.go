package classify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"sohoa/pipeline/vntext"
)

// Example is one labelled document for training: its OCR text and the
// type and field a person gave it.
type Example struct {
	Text    string `json:"text"`
	DocType string `json:"doc_type"`
	Field   string `json:"field"`
}

// Model is a multinomial naive Bayes classifier over folded unigrams and
// bigrams with Laplace smoothing, one for the document type and one for the
// field, plus the calibration Train measured. It serialises to JSON
// (MarshalJSON, Unmarshal) so a trained model can be saved, shipped, and
// retrained later from clerks' corrections with Add. A Model is safe for
// concurrent Classify calls; Add must not run concurrently with them.
type Model struct {
	typeNB, fieldNB *naiveBayes
	// rel is how often each rule was right on Train's calibration split.
	rel reliability
}

// reliability holds how often each kind of rule evidence was right.
type reliability struct {
	Title  float64 `json:"title"`
	Symbol float64 `json:"symbol"`
	Letter float64 `json:"letter"`
	Field  float64 `json:"field"`
}

// defaultReliability is used before calibration and when a calibration
// split had too few cases of a rule: the rule's precision is assumed, not
// measured, so it is kept below what clean generated text shows.
var defaultReliability = reliability{Title: 0.95, Symbol: 0.9, Letter: 0.85, Field: 0.95}

type naiveBayes struct {
	Classes map[string]*classCounts `json:"classes"`
	// Temperature divides the log-scores before the softmax: naive Bayes
	// counts every correlated word as new evidence and is overconfident;
	// Train fits it on held-out examples.
	Temperature float64 `json:"temperature"`
	vocab       map[string]struct{}
}

type classCounts struct {
	Docs   int            `json:"docs"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
}

func newNB() *naiveBayes {
	return &naiveBayes{Classes: map[string]*classCounts{}, Temperature: 1, vocab: map[string]struct{}{}}
}

func (nb *naiveBayes) add(class string, feats map[string]int) {
	if class == "" {
		return
	}
	c := nb.Classes[class]
	if c == nil {
		c = &classCounts{Counts: map[string]int{}}
		nb.Classes[class] = c
	}
	c.Docs++
	for f, n := range feats {
		c.Counts[f] += n
		c.Total += n
		nb.vocab[f] = struct{}{}
	}
}

// scores returns the log-posterior of every class (not normalised).
func (nb *naiveBayes) scores(feats map[string]int, classes []string) map[string]float64 {
	docs := 0
	for _, c := range nb.Classes {
		docs += c.Docs
	}
	v := float64(len(nb.vocab))
	out := make(map[string]float64, len(classes))
	for _, class := range classes {
		c := nb.Classes[class]
		if c == nil {
			c = &classCounts{}
		}
		s := math.Log(float64(c.Docs+1) / float64(docs+len(classes)))
		denom := math.Log(float64(c.Total) + v)
		for f, n := range feats {
			if _, known := nb.vocab[f]; !known {
				continue
			}
			s += float64(n) * (math.Log(float64(c.Counts[f])+1) - denom)
		}
		out[class] = s
	}
	return out
}

// probs turns log-scores into probabilities at the model's temperature.
func probs(scores map[string]float64, temperature float64) map[string]float64 {
	if temperature <= 0 {
		temperature = 1
	}
	best := math.Inf(-1)
	for _, s := range scores {
		best = max(best, s)
	}
	var sum float64
	out := make(map[string]float64, len(scores))
	for c, s := range scores {
		p := math.Exp((s - best) / temperature)
		out[c] = p
		sum += p
	}
	for c := range out {
		out[c] /= sum
	}
	return out
}

// features are the folded words of text (numbers as "#") and their
// bigrams within a line, counted.
func features(text string) map[string]int {
	feats := map[string]int{}
	for _, ln := range strings.Split(vntext.Fold(text), "\n") {
		words := strings.FieldsFunc(ln, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		prev := ""
		for _, w := range words {
			if strings.IndexFunc(w, unicode.IsLetter) < 0 {
				w = "#"
			}
			feats[w]++
			if prev != "" {
				feats[prev+" "+w]++
			}
			prev = w
		}
	}
	return feats
}

// Train fits a model to the examples. When there are enough of them, one
// in five is first held out to fit the temperatures and measure how often
// each rule is right; the model is then trained on all of them.
func Train(examples []Example) *Model {
	m := &Model{typeNB: newNB(), fieldNB: newNB(), rel: defaultReliability}
	if len(examples) >= 50 {
		var fit, held []Example
		for i, ex := range examples {
			if i%5 == 4 {
				held = append(held, ex)
			} else {
				fit = append(fit, ex)
			}
		}
		cal := &Model{typeNB: newNB(), fieldNB: newNB(), rel: defaultReliability}
		for _, ex := range fit {
			cal.Add(ex)
		}
		m.typeNB.Temperature = fitTemperature(cal.typeNB, held, typeSlugs(), func(ex Example) string { return ex.DocType })
		m.fieldNB.Temperature = fitTemperature(cal.fieldNB, held, fieldSlugs(), func(ex Example) string { return ex.Field })
		m.rel = measureRules(held)
	}
	for _, ex := range examples {
		m.Add(ex)
	}
	return m
}

// Add learns one more labelled example, such as a clerk's correction.
// An empty DocType or Field leaves that half of the model unchanged.
func (m *Model) Add(ex Example) {
	feats := features(ex.Text)
	m.typeNB.add(ex.DocType, feats)
	m.fieldNB.add(ex.Field, feats)
}

// fitTemperature picks the temperature that minimises the negative log
// likelihood of the held-out labels.
func fitTemperature(nb *naiveBayes, held []Example, classes []string, label func(Example) string) float64 {
	type scored struct {
		s     map[string]float64
		label string
	}
	var data []scored
	for _, ex := range held {
		if label(ex) != "" {
			data = append(data, scored{nb.scores(features(ex.Text), classes), label(ex)})
		}
	}
	best, bestNLL := 1.0, math.Inf(1)
	for t := 1.0; t <= 4096; t *= 1.25 {
		var nll float64
		for _, d := range data {
			p := probs(d.s, t)[d.label]
			nll -= math.Log(max(p, 1e-12))
		}
		if nll < bestNLL {
			best, bestNLL = t, nll
		}
	}
	return best
}

func typeSlugs() []string  { return slugs(types) }
func fieldSlugs() []string { return slugs(fields) }

func slugs(ls []Label) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Slug
	}
	return out
}

// modelJSON is the saved form of a Model.
type modelJSON struct {
	Format      string      `json:"format"`
	Type        *naiveBayes `json:"type"`
	Field       *naiveBayes `json:"field"`
	Reliability reliability `json:"reliability"`
}

const modelFormat = "sohoa-classify-nb-1"

// MarshalJSON writes the model's counts, temperatures and rule
// reliabilities.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(modelJSON{Format: modelFormat, Type: m.typeNB, Field: m.fieldNB, Reliability: m.rel})
}

// UnmarshalJSON reads a model written by MarshalJSON.
func (m *Model) UnmarshalJSON(b []byte) error {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("read classifier model: %w", err)
	}
	if j.Format != modelFormat {
		return fmt.Errorf("read classifier model: format %q, want %q", j.Format, modelFormat)
	}
	if j.Type == nil || j.Field == nil {
		return errors.New("read classifier model: type or field model missing")
	}
	for _, nb := range []*naiveBayes{j.Type, j.Field} {
		nb.vocab = map[string]struct{}{}
		if nb.Classes == nil {
			nb.Classes = map[string]*classCounts{}
		}
		for name, c := range nb.Classes {
			if c == nil {
				return fmt.Errorf("read classifier model: class %q is empty", name)
			}
			if c.Counts == nil {
				c.Counts = map[string]int{}
			}
			for f := range c.Counts {
				nb.vocab[f] = struct{}{}
			}
		}
		if nb.Temperature <= 0 {
			nb.Temperature = 1
		}
	}
	*m = Model{typeNB: j.Type, fieldNB: j.Field, rel: j.Reliability}
	return nil
}

// Unmarshal reads a model saved with MarshalJSON.
func Unmarshal(b []byte) (*Model, error) {
	m := &Model{}
	if err := m.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return m, nil
}

// Classes returns the type classes the model has seen, sorted; for tests
// and diagnostics.
func (m *Model) Classes() []string {
	out := make([]string, 0, len(m.typeNB.Classes))
	for c := range m.typeNB.Classes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
