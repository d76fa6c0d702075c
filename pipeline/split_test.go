package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline"
	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

func TestParseSplit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in     string
		duplex bool
		want   pipeline.SplitRule
		str    string
		bad    bool
	}{
		{"", false, pipeline.SplitRule{}, "", false},
		{"blank", false, pipeline.SplitRule{Blank: true}, "blank", false},
		{"blank", true, pipeline.SplitRule{Blank: true, Duplex: true}, "blank-duplex", false},
		{"blank-duplex", false, pipeline.SplitRule{Blank: true, Duplex: true}, "blank-duplex", false},
		{"pages:3", false, pipeline.SplitRule{Pages: 3}, "pages:3", false},
		{"pages:0", false, pipeline.SplitRule{}, "", true},
		{"pages:x", false, pipeline.SplitRule{}, "", true},
		{"pages:2", true, pipeline.SplitRule{}, "", true},
		{"", true, pipeline.SplitRule{}, "", true},
		{"blanks", false, pipeline.SplitRule{}, "", true},
	} {
		got, err := pipeline.ParseSplit(c.in, c.duplex)
		if (err != nil) != c.bad {
			t.Errorf("ParseSplit(%q, %v): err = %v, want error %v", c.in, c.duplex, err, c.bad)
			continue
		}
		if c.bad {
			continue
		}
		if got != c.want || got.String() != c.str {
			t.Errorf("ParseSplit(%q, %v) = %+v (%q), want %+v (%q)", c.in, c.duplex, got, got.String(), c.want, c.str)
		}
	}
}

// TestSplitRanges checks the rule on page kinds given directly: B blank,
// N near-blank, C content.
func TestSplitRanges(t *testing.T) {
	t.Parallel()
	kinds := func(s string) []pages.Blankness {
		out := make([]pages.Blankness, len(s))
		for i, c := range s {
			out[i] = map[rune]pages.Blankness{'B': pages.Blank, 'N': pages.NearBlank, 'C': pages.Content}[c]
		}
		return out
	}
	for _, c := range []struct {
		name  string
		rule  pipeline.SplitRule
		pages string
		want  [][2]int
	}{
		{"no separator", pipeline.SplitRule{Blank: true}, "CCC", [][2]int{{1, 3}}},
		{"simplex", pipeline.SplitRule{Blank: true}, "CCBCBCC", [][2]int{{1, 2}, {4, 4}, {6, 7}}},
		{"seal bleed stays", pipeline.SplitRule{Blank: true}, "CNBCC", [][2]int{{1, 2}, {4, 5}}},
		{"leading, doubled and trailing separators", pipeline.SplitRule{Blank: true}, "BCBBCB", [][2]int{{2, 2}, {5, 5}}},
		{"all blank", pipeline.SplitRule{Blank: true}, "BBB", nil},
		{"duplex blank backs stay", pipeline.SplitRule{Blank: true, Duplex: true}, "CBCBBBCN", [][2]int{{1, 4}, {7, 8}}},
		{"duplex blank front, marked back", pipeline.SplitRule{Blank: true, Duplex: true}, "CBBNCB", [][2]int{{1, 6}}},
		{"duplex odd last page", pipeline.SplitRule{Blank: true, Duplex: true}, "CBBBC", [][2]int{{1, 2}, {5, 5}}},
		{"pages:2", pipeline.SplitRule{Pages: 2}, "CBCCC", [][2]int{{1, 2}, {3, 4}, {5, 5}}},
		{"pages:5 of 3", pipeline.SplitRule{Pages: 5}, "CCC", [][2]int{{1, 3}}},
	} {
		if got := c.rule.Ranges(kinds(c.pages)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v on %s = %v, want %v", c.name, c.rule, c.pages, got, c.want)
		}
	}
}

// writeStack writes a generated stack into dir and returns its path and
// where its documents truly are.
func writeStack(t *testing.T, dir, name string, o fixtures.StackOptions) (string, fixtures.StackTruth) {
	t.Helper()
	var buf bytes.Buffer
	truth, err := fixtures.WriteStack(&buf, o)
	if err != nil {
		t.Fatalf("write stack %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, truth
}

// boundaryScore compares found document ranges with the truth: precision
// and recall of the boundaries (the first page of every document after
// the first) and how many documents have exactly the true page range.
func boundaryScore(truth fixtures.StackTruth, got [][2]int) (precision, recall float64, exact int) {
	want := map[int]bool{}
	for _, b := range truth.Boundaries() {
		want[b] = true
	}
	found := map[int]bool{}
	for _, r := range got[min(1, len(got)):] {
		found[r[0]] = true
	}
	hit := 0
	for b := range found {
		if want[b] {
			hit++
		}
	}
	precision, recall = 1, 1
	if len(found) > 0 {
		precision = float64(hit) / float64(len(found))
	}
	if len(want) > 0 {
		recall = float64(hit) / float64(len(want))
	}
	byRange := map[[2]int]bool{}
	for _, r := range got {
		byRange[r] = true
	}
	for _, d := range truth.Documents {
		if byRange[[2]int{d.First, d.Last}] {
			exact++
		}
	}
	return precision, recall, exact
}

func truthRanges(truth fixtures.StackTruth) [][2]int {
	out := make([][2]int, len(truth.Documents))
	for i, d := range truth.Documents {
		out[i] = [2]int{d.First, d.Last}
	}
	return out
}

// TestStackBoundaryAccuracy splits generated stacks whose true documents
// are known — simplex and duplex, clean and degraded, 200 and 300 dpi,
// PDF and TIFF, with seal bleed-through pages ending documents — by the
// blank detector the pipeline uses, and reports boundary precision and
// recall and exact page ranges. Every boundary must be found.
func TestStackBoundaryAccuracy(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftoppm")
	dir := t.TempDir()
	var totalWant, totalFound, totalHit, totalDocs, totalExact int
	for _, c := range []fixtures.StackOptions{
		{Docs: 10, Seed: 5100, DPI: 300, Degrade: true, Format: "pdf", BleedEvery: 3},
		{Docs: 10, Seed: 5200, DPI: 200, Degrade: false, Format: "pdf", BleedEvery: 2},
		{Docs: 8, Seed: 5300, DPI: 200, Degrade: true, Format: "pdf", Duplex: true},
		{Docs: 6, Seed: 5400, DPI: 300, Degrade: false, Format: "pdf", Duplex: true},
		{Docs: 3, Seed: 5500, DPI: 200, Format: "tiff", BleedEvery: 2, MaxPages: 1},
	} {
		name := fmt.Sprintf("%s-%ddpi-degrade=%v-duplex=%v", c.Format, c.DPI, c.Degrade, c.Duplex)
		path, truth := writeStack(t, dir, name+"."+c.Format, c)
		rule := pipeline.SplitRule{Blank: true, Duplex: c.Duplex}
		plan, err := pipeline.PlanStack(context.Background(), path, rule, pages.Options{TempDir: dir})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prec, rec, exact := boundaryScore(truth, plan.Ranges)
		t.Logf("%s: %d pages, %d documents: boundary precision %.3f recall %.3f, exact ranges %d/%d",
			name, truth.Pages, len(truth.Documents), prec, rec, exact, len(truth.Documents))
		want, found := len(truth.Boundaries()), max(0, len(plan.Ranges)-1)
		totalWant += want
		totalFound += found
		totalHit += int(rec*float64(want) + 0.5)
		totalDocs += len(truth.Documents)
		totalExact += exact
		if !reflect.DeepEqual(plan.Ranges, truthRanges(truth)) {
			t.Errorf("%s: documents %v, want %v", name, plan.Ranges, truthRanges(truth))
			for i, ink := range plan.Ink {
				t.Logf("  page %d: %v", i+1, ink)
			}
		}
	}
	t.Logf("all stacks: boundary precision %.3f recall %.3f (%d true, %d found, %d right), exact ranges %d/%d",
		float64(totalHit)/float64(max(1, totalFound)), float64(totalHit)/float64(max(1, totalWant)),
		totalWant, totalFound, totalHit, totalExact, totalDocs)
}

// TestSplitStackEndToEnd ingests generated stacks with --split blank
// through the real pipeline — Tesseract with vie, SQLite, the local
// store — and checks each document became its own record with the true
// page range, its own archival PDF of only its pages, and the original
// stored once; then runs the same ingest again and finds nothing added.
func TestSplitStackEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR end to end: not in -short")
	}
	requireTool(t, "pdftoppm")
	factory := realEngine(t)
	for _, c := range []struct {
		name string
		o    fixtures.StackOptions
	}{
		{"simplex", fixtures.StackOptions{Docs: 3, Seed: 6100, DPI: 200, Degrade: true, Format: "pdf", BleedEvery: 2, MaxPages: 1}},
		{"duplex", fixtures.StackOptions{Docs: 2, Seed: 6200, DPI: 200, Format: "pdf", Duplex: true, MaxPages: 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := objectStores()[0]
			h := newHarness(t, st.open(t))
			in := filepath.Join(h.dir, "scans")
			os.MkdirAll(in, 0o755)
			path, truth := writeStack(t, in, "stack.pdf", c.o)
			ctx := context.Background()
			p := h.pipeline(factory, 2, pipeline.Hooks{})
			req := pipeline.IngestRequest{Paths: []string{path}, Unit: "21181", Clerk: "test",
				Split: pipeline.SplitRule{Blank: true, Duplex: c.o.Duplex}}
			res, err := p.Ingest(ctx, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != 1 {
				t.Fatalf("ingest made %d records, want 1 (the stack)", len(res.Records))
			}
			if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			checkStack(t, h, truth, sumFile(t, path))
			if err := h.db.SealBatch(ctx, res.Batch.ID); err != nil {
				t.Fatal(err)
			}

			// The same command again, as a clerk unsure it went through:
			// the sealed batch is found, no document is made twice.
			p2 := h.pipeline(factory, 2, pipeline.Hooks{})
			if _, err := p2.Ingest(ctx, req, nil); err != nil {
				t.Fatal(err)
			}
			if err := p2.Run(ctx, pipeline.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			checkStack(t, h, truth, sumFile(t, path))
		})
	}
}

// checkStack checks the catalog holds exactly the stack's documents.
func checkStack(t *testing.T, h *harness, truth fixtures.StackTruth, sum string) {
	t.Helper()
	ctx := context.Background()
	recs, err := h.db.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, r := range recs {
		got = append(got, [2]int{r.FirstPage, r.LastPage})
	}
	prec, rec, exact := boundaryScore(truth, got)
	t.Logf("pipeline: %d records, ranges %v (true %v): boundary precision %.3f recall %.3f, exact %d/%d",
		len(recs), got, truthRanges(truth), prec, rec, exact, len(truth.Documents))
	if !reflect.DeepEqual(got, truthRanges(truth)) {
		t.Fatalf("records have pages %v, want %v", got, truthRanges(truth))
	}
	archives := map[string]bool{}
	for i, r := range recs {
		if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
			t.Errorf("#%d pp. %d-%d: %s (%s)", r.ID, r.FirstPage, r.LastPage, r.Status, r.Error)
		}
		if r.SHA256 != sum || r.Original != recs[0].Original || r.Source != "stack.pdf" {
			t.Errorf("#%d: sha256 %s original %s source %s, want the stack's", r.ID, r.SHA256, r.Original, r.Source)
		}
		if (i == 0) != (r.SplitFrom == 0) || (i > 0 && r.SplitFrom != recs[0].ID) {
			t.Errorf("#%d: split from %d", r.ID, r.SplitFrom)
		}
		pgs, err := h.db.Pages(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.LastPage - r.FirstPage + 1; r.Pages != want || len(pgs) != want {
			t.Errorf("#%d: %d pages, %d recognised, want %d", r.ID, r.Pages, len(pgs), want)
		}
		if archives[r.Archive] {
			t.Errorf("#%d: archive %s shared with another document", r.ID, r.Archive)
		}
		archives[r.Archive] = true
		n := archivePages(t, h, r.Archive)
		if n != r.Pages {
			t.Errorf("#%d: archival PDF has %d pages, want %d", r.ID, n, r.Pages)
		}
	}
	// The original is stored whole, once.
	var originals int
	if err := h.objects.List(ctx, "originals/", func(storage.ObjectInfo) error { originals++; return nil }); err != nil {
		t.Fatal(err)
	}
	if originals != 1 {
		t.Errorf("%d originals stored, want 1", originals)
	}
	if n, _ := h.db.Pending(ctx); n != 0 {
		t.Errorf("%d jobs pending", n)
	}
}

func archivePages(t *testing.T, h *harness, key string) int {
	t.Helper()
	rc, _, err := h.objects.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get archive %s: %v", key, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(h.dir, "archive-*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	n, err := pages.Count(context.Background(), f.Name(), pages.Options{TempDir: h.dir})
	if err != nil {
		t.Fatalf("count pages of archive %s: %v", key, err)
	}
	return n
}

// TestSplitFixedPages splits a 5-page file every 2 pages (pages:2) with a
// stand-in OCR engine: three documents, pages 1–2, 3–4 and 5, each OCR'd
// only on its own pages.
func TestSplitFixedPages(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftoppm")
	h := newHarness(t, objectStores()[0].open(t))
	in := filepath.Join(h.dir, "scans")
	os.MkdirAll(in, 0o755)
	d := fixtures.NewDoc(6300)
	for len(d.Pages) < 5 {
		d.Pages = append(d.Pages, d.Pages[len(d.Pages)-1])
	}
	d.Pages = d.Pages[:5]
	path := writeDoc(t, in, "five.pdf", d, fixtures.Options{DPI: 200, Format: "pdf"})
	var calls atomic.Int64
	factory := func() (ocr.Engine, error) {
		return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 12/QĐ-UBND\nTịnh Phong, ngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH\nVề việc cấp phép"}, nil
	}
	p := h.pipeline(factory, 2, pipeline.Hooks{})
	ctx := context.Background()
	req := pipeline.IngestRequest{Paths: []string{path}, Clerk: "test", Split: pipeline.SplitRule{Pages: 2}}
	if _, err := p.Ingest(ctx, req, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := h.db.List(ctx, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d-%d:%d", r.FirstPage, r.LastPage, r.Pages))
		if r.Split != "pages:2" {
			t.Errorf("#%d: split %q", r.ID, r.Split)
		}
		if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
			t.Errorf("#%d: %s (%s)", r.ID, r.Status, r.Error)
		}
		if n := archivePages(t, h, r.Archive); n != r.Pages {
			t.Errorf("#%d: archival PDF has %d pages, want %d", r.ID, n, r.Pages)
		}
	}
	want := "1-2:2 3-4:2 5-5:1"
	if strings.Join(got, " ") != want {
		t.Errorf("records %v, want %s", got, want)
	}
	if calls.Load() != 5 {
		t.Errorf("%d pages recognised, want 5 (each once)", calls.Load())
	}
}

// TestSplitResumesAfterKill interrupts a run right after the stack was
// split (before any of its pages is read), runs the same ingest again,
// and checks every document exists once, fully read.
func TestSplitResumesAfterKill(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftoppm")
	h := newHarness(t, objectStores()[0].open(t))
	in := filepath.Join(h.dir, "scans")
	os.MkdirAll(in, 0o755)
	path, truth := writeStack(t, in, "stack.pdf", fixtures.StackOptions{Docs: 3, Seed: 6400, DPI: 200, Format: "pdf", MaxPages: 2})
	var calls atomic.Int64
	factory := func() (ocr.Engine, error) {
		return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nSố: 12/QĐ-UBND\nngày 03 tháng 02 năm 2025\nQUYẾT ĐỊNH"}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := h.pipeline(factory, 1, pipeline.Hooks{Pages: func(int64, int) { cancel() }})
	req := pipeline.IngestRequest{Paths: []string{path}, Clerk: "test", Split: pipeline.SplitRule{Blank: true}}
	if _, err := p.Ingest(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	_ = p.Run(ctx, pipeline.RunOptions{})
	recs, err := h.db.List(context.Background(), catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(truth.Documents) {
		t.Fatalf("after the interrupted run: %d records, want %d (split, not yet read)", len(recs), len(truth.Documents))
	}

	p2 := h.pipeline(factory, 2, pipeline.Hooks{})
	if _, err := p2.Ingest(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	if err := p2.Run(context.Background(), pipeline.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err = h.db.List(context.Background(), catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, r := range recs {
		got = append(got, [2]int{r.FirstPage, r.LastPage})
		if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
			t.Errorf("#%d: %s (%s)", r.ID, r.Status, r.Error)
		}
	}
	if !reflect.DeepEqual(got, truthRanges(truth)) {
		t.Errorf("after resume: records %v, want %v", got, truthRanges(truth))
	}
	inDocs := 0
	for _, d := range truth.Documents {
		inDocs += d.Last - d.First + 1
	}
	if n := calls.Load(); n < int64(inDocs) || n > int64(inDocs+2) {
		t.Errorf("%d pages recognised, want %d (separators never; in-flight pages at most twice)", n, inDocs)
	}
}
