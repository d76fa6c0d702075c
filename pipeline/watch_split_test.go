package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline"
	"sohoa/storage/catalog"
)

// TestTakeSplitsAStack takes one file with a split rule, as the upload
// page of serve does: the record carries the rule, the run splits it into
// its documents in the file's batch, and the same file taken again (the
// clerk uploading it a second time) returns the first record and makes
// no document twice.
func TestTakeSplitsAStack(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftoppm")
	h := newHarness(t, objectStores()[0].open(t))
	in := filepath.Join(h.dir, "uploads")
	os.MkdirAll(in, 0o755)
	d := fixtures.NewDoc(6400)
	for len(d.Pages) < 3 {
		d.Pages = append(d.Pages, d.Pages[len(d.Pages)-1])
	}
	d.Pages = d.Pages[:3]
	path := writeDoc(t, in, "upload-1.part", d, fixtures.Options{DPI: 200, Format: "pdf"})
	var calls atomic.Int64
	factory := func() (ocr.Engine, error) {
		return &fakeEngine{calls: &calls, text: "ỦY BAN NHÂN DÂN\nXÃ TỊNH PHONG\nSố: 12/QĐ-UBND\nQUYẾT ĐỊNH\nVề việc cấp phép"}, nil
	}
	p := h.pipeline(factory, 1, pipeline.Hooks{})
	ctx := context.Background()
	req := pipeline.TakeRequest{Path: path, Name: "ba-trang.pdf", Unit: "21181", Clerk: "lan", Split: pipeline.SplitRule{Pages: 2}}
	first, err := p.Take(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Record.Split != "pages:2" || first.Record.Source != "ba-trang.pdf" {
		t.Fatalf("taken: split %q source %q, want pages:2 and ba-trang.pdf", first.Record.Split, first.Record.Source)
	}
	if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := p.Take(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Before || again.Record.ID != first.Record.ID {
		t.Errorf("taken again: before=%v record #%d, want the first record #%d", again.Before, again.Record.ID, first.Record.ID)
	}
	if err := p.Run(ctx, pipeline.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := h.db.List(ctx, catalog.Filter{BatchID: first.Record.BatchID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d-%d", r.FirstPage, r.LastPage))
		if r.Status != catalog.StatusDigitized && r.Status != catalog.StatusNeedsReview {
			t.Errorf("#%d: %s (%s)", r.ID, r.Status, r.Error)
		}
	}
	if strings.Join(got, " ") != "1-2 3-3" {
		t.Errorf("documents of the batch: %v, want 1-2 3-3", got)
	}
	if all, _ := h.db.List(ctx, catalog.Filter{}); len(all) != 2 {
		t.Errorf("%d records in the catalog, want 2", len(all))
	}
}
