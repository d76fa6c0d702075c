package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"sohoa/fixtures"
	"sohoa/ocr"
	"sohoa/pipeline"
	"sohoa/storage/catalog"
)

// TestTakeRecordsEachFileOnce takes files of a watched folder as a
// watcher restarted after a kill would: the same name and bytes again
// find the first record and store nothing; a new scan saved under the
// same name, and the same bytes under another name, are new records (the
// latter a duplicate, stored once).
func TestTakeRecordsEachFileOnce(t *testing.T) {
	for _, st := range objectStores() {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, st.open(t))
			var calls atomic.Int64
			p := h.pipeline(func() (ocr.Engine, error) { return &fakeEngine{calls: &calls, text: "x"}, nil }, 1, pipeline.Hooks{})
			dir := filepath.Join(h.dir, "watched")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			d := fixtures.NewDocOfType(20261202, "quyet-dinh")
			d.Pages = d.Pages[:1]
			path := writeDoc(t, dir, "scan-01.png", d, fixtures.Options{DPI: 200, Format: "png"})
			req := pipeline.TakeRequest{Path: path, Name: "scan-01.png", Unit: "21181", Clerk: "Lan", Folder: dir}

			first, err := p.Take(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			r := first.Record
			if first.Before || r.Status != catalog.StatusQueued || r.Source != "scan-01.png" || r.SHA256 != sumFile(t, path) || r.Unit != "21181" {
				t.Fatalf("first take: before=%v, record %+v", first.Before, r)
			}
			if n, _ := h.db.Pending(ctx); n != 1 {
				t.Errorf("%d jobs after the first take, want 1", n)
			}
			if got := hashObject(t, h.objects, r.Original); got != r.SHA256 {
				t.Errorf("stored original %s: sha256 %s, want %s", r.Original, got, r.SHA256)
			}

			// The watcher was killed before it moved the file: the same
			// file again.
			again, err := p.Take(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Before || again.Record.ID != r.ID {
				t.Errorf("same file again: before=%v, record #%d; want the first record #%d", again.Before, again.Record.ID, r.ID)
			}

			// A new scan saved under the same name.
			d2 := fixtures.NewDocOfType(20261203, "cong-van")
			d2.Pages = d2.Pages[:1]
			writeDoc(t, dir, "scan-01.png", d2, fixtures.Options{DPI: 200, Format: "png"})
			rescan, err := p.Take(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if rescan.Before || rescan.Record.ID == r.ID || rescan.Record.SHA256 != sumFile(t, path) || rescan.Record.Status != catalog.StatusQueued {
				t.Errorf("new bytes under the same name: before=%v, record %+v; want a new queued record", rescan.Before, rescan.Record)
			}

			// The first scan's bytes again, under another name: a
			// duplicate of the first record, found again as itself.
			copyPath := filepath.Join(dir, "ban-sao.png")
			writeDoc(t, dir, "ban-sao.png", d, fixtures.Options{DPI: 200, Format: "png"})
			creq := req
			creq.Path, creq.Name = copyPath, "ban-sao.png"
			dup, err := p.Take(ctx, creq)
			if err != nil {
				t.Fatal(err)
			}
			if dup.Before || dup.Record.Status != catalog.StatusDuplicate || dup.Record.DuplicateOf != r.ID {
				t.Errorf("same bytes, other name: before=%v, %s of #%d; want a duplicate of #%d", dup.Before, dup.Record.Status, dup.Record.DuplicateOf, r.ID)
			}
			dupAgain, err := p.Take(ctx, creq)
			if err != nil {
				t.Fatal(err)
			}
			if !dupAgain.Before || dupAgain.Record.ID != dup.Record.ID {
				t.Errorf("the duplicate again: before=%v, record #%d; want #%d", dupAgain.Before, dupAgain.Record.ID, dup.Record.ID)
			}

			recs, err := h.db.List(ctx, catalog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 {
				t.Errorf("%d records, want 3 (first scan, rescan, copy)", len(recs))
			}
			for _, rec := range recs {
				evs, err := h.db.Events(ctx, rec.ID)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, e := range evs {
					if e.Action == "ingest" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("record #%d %s has %d ingest events, want 1", rec.ID, rec.Source, n)
				}
				b, err := h.db.Batch(ctx, rec.BatchID)
				if err != nil || !b.Sealed {
					t.Errorf("record #%d: batch %d sealed=%v (%v), want sealed once recorded", rec.ID, rec.BatchID, b.Sealed, err)
				}
			}

			if _, err := p.Take(ctx, pipeline.TakeRequest{Path: filepath.Join(dir, "gone.pdf"), Name: "gone.pdf", Unit: "21181"}); err == nil {
				t.Error("a file that is not there was taken")
			}
		})
	}
}
