// Package eval scores what the pipeline read against labelled documents:
// type accuracy, the exact-match rate of each field, and the character
// error rate of the text.
package eval

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sohoa/pipeline/vntext"
)

// Label is the truth about one file, from a labels TSV.
type Label struct {
	File     string
	DocType  string
	Number   string
	IssuedOn string
	Issuer   string
	Subject  string
	// TextFile names a ground-truth text file (relative to the TSV), or "".
	TextFile string
}

// ReadLabels reads a TSV whose header is exactly
// file, doc_type, number, issued_on, issuer, subject, with an optional
// text column. Columns may come in any order.
func ReadLabels(path string) ([]Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	defer f.Close()
	return parseLabels(f, path)
}

func parseLabels(r io.Reader, name string) ([]Label, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty labels file", name)
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t") {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"file", "doc_type", "number", "issued_on", "issuer", "subject"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: header lacks column %q (want file, doc_type, number, issued_on, issuer, subject[, text])", name, need)
		}
	}
	var out []Label
	line := 1
	for sc.Scan() {
		line++
		raw := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(raw) == "" {
			continue
		}
		cells := strings.Split(raw, "\t")
		get := func(k string) string {
			i, ok := col[k]
			if !ok || i >= len(cells) {
				return ""
			}
			return strings.TrimSpace(cells[i])
		}
		l := Label{File: get("file"), DocType: get("doc_type"), Number: get("number"), IssuedOn: get("issued_on"),
			Issuer: get("issuer"), Subject: get("subject"), TextFile: get("text")}
		if l.File == "" {
			return nil, fmt.Errorf("%s:%d: empty file column", name, line)
		}
		if l.TextFile != "" && !filepath.IsAbs(l.TextFile) {
			l.TextFile = filepath.Join(filepath.Dir(name), l.TextFile)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// Read is what the pipeline made of one file.
type Read struct {
	Status   string
	DocType  string
	Number   string
	IssuedOn string
	Issuer   string
	Subject  string
	Text     string
}

// Metric is one row of the report.
type Metric struct {
	Name    string  `json:"name"`
	Correct int     `json:"correct"`
	Total   int     `json:"total"`
	Rate    float64 `json:"rate"`
}

// Report is the score of a labelled set.
type Report struct {
	Documents int      `json:"documents"`
	Missing   []string `json:"missing,omitempty"` // labelled files with no record
	Metrics   []Metric `json:"metrics"`
	// CER is the character error rate of the text over the documents
	// with ground-truth text (edits ÷ ground-truth characters).
	CER        float64    `json:"cer"`
	CERChars   int        `json:"cer_chars"`
	NeedReview int        `json:"needs_review"`
	Failed     int        `json:"failed"`
	Mismatches []Mismatch `json:"mismatches,omitempty"`
}

// Mismatch is one wrong field, for reading what went wrong.
type Mismatch struct {
	File  string `json:"file"`
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// Score compares reads (by label file name) with the labels.
func Score(labels []Label, reads map[string]Read) (Report, error) {
	rep := Report{}
	counts := map[string]*Metric{}
	order := []string{"doc_type", "number", "issued_on", "issuer", "subject"}
	for _, k := range order {
		counts[k] = &Metric{Name: k}
	}
	var edits, chars int
	for _, l := range labels {
		r, ok := reads[l.File]
		if !ok {
			rep.Missing = append(rep.Missing, l.File)
			r = Read{}
		}
		rep.Documents++
		switch r.Status {
		case "needs_review":
			rep.NeedReview++
		case "failed":
			rep.Failed++
		}
		pairs := []struct{ name, want, got string }{
			{"doc_type", l.DocType, r.DocType},
			{"number", l.Number, r.Number},
			{"issued_on", l.IssuedOn, r.IssuedOn},
			{"issuer", l.Issuer, r.Issuer},
			{"subject", l.Subject, r.Subject},
		}
		for _, p := range pairs {
			m := counts[p.name]
			m.Total++
			if Same(p.want, p.got) {
				m.Correct++
			} else {
				rep.Mismatches = append(rep.Mismatches, Mismatch{l.File, p.name, p.want, p.got})
			}
		}
		if l.TextFile != "" {
			truth, err := os.ReadFile(l.TextFile)
			if err != nil {
				return rep, fmt.Errorf("read ground truth of %s: %w", l.File, err)
			}
			e, n := Errors(string(truth), r.Text)
			edits += e
			chars += n
		}
	}
	for _, k := range order {
		m := counts[k]
		if m.Total > 0 {
			m.Rate = float64(m.Correct) / float64(m.Total)
		}
		rep.Metrics = append(rep.Metrics, *m)
	}
	if chars > 0 {
		rep.CER = float64(edits) / float64(chars)
		rep.CERChars = chars
	}
	return rep, nil
}

// Same compares two field values as a person would accept them equal:
// Unicode NFC, runs of white space as one space, and the two official
// spellings of ỦY/UỶ as one. Nothing else is forgiven.
func Same(want, got string) bool { return canon(want) == canon(got) }

func canon(s string) string {
	s = strings.Join(strings.Fields(vntext.NFC(s)), " ")
	return strings.NewReplacer("UỶ", "ỦY", "Uỷ", "Ủy").Replace(s)
}

// Errors returns the edit distance between truth and the best-matching
// stretch of got, and the number of characters of truth, both after NFC
// and with white space runs as one space. The OCR text of a page holds
// more than a body text (header, signature): the stretch of got that
// aligns best with the truth is scored, and nothing outside it, so the
// rate measures how well the truth was read, not what else was on the page.
func Errors(truth, got string) (edits, chars int) {
	t := []rune(strings.Join(strings.Fields(vntext.NFC(truth)), " "))
	g := []rune(strings.Join(strings.Fields(vntext.NFC(got)), " "))
	if len(t) == 0 {
		return 0, 0
	}
	// Semi-global alignment: free start and end in g.
	prev := make([]int, len(g)+1) // row for t[:0]: all zeros (free start)
	cur := make([]int, len(g)+1)
	for i := 1; i <= len(t); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			cost := 1
			if t[i-1] == g[j-1] {
				cost = 0
			}
			best := prev[j-1] + cost
			if v := prev[j] + 1; v < best {
				best = v
			}
			if v := cur[j-1] + 1; v < best {
				best = v
			}
			cur[j] = best
		}
		prev, cur = cur, prev
	}
	edits = prev[0]
	for _, v := range prev {
		if v < edits {
			edits = v
		}
	}
	return edits, len(t)
}
