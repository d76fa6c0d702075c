package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"sohoa/storage/catalog"
)

// TestSplitStack splits a stack's record into three documents, then splits
// it again as a resumed run would: the second call changes nothing.
func TestSplitStack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	stack := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: "51", Source: "stack.pdf", SHA256: "ab12",
		Size: 99, Original: "originals/sha256/ab12", Split: "blank", Stage: "stored"}, true)
	ranges := [][2]int{{1, 2}, {4, 6}, {8, 8}}
	ev := catalog.Event{Actor: "sohoa", Action: "split", Details: `{"rule":"blank"}`}
	for try := 1; try <= 2; try++ {
		docs, err := db.SplitStack(ctx, stack.ID, ranges, ev)
		if err != nil {
			t.Fatalf("split (try %d): %v", try, err)
		}
		var got []string
		for _, d := range docs {
			got = append(got, fmt.Sprintf("%d-%d/%d from %d", d.FirstPage, d.LastPage, d.Pages, d.SplitFrom))
			if d.Original != stack.Original || d.SHA256 != stack.SHA256 || d.Source != stack.Source || d.Split != "blank" {
				t.Errorf("try %d: #%d does not keep the stack's original: %+v", try, d.ID, d)
			}
		}
		want := fmt.Sprintf("[1-2/2 from 0 4-6/3 from %d 8-8/1 from %d]", stack.ID, stack.ID)
		if fmt.Sprint(got) != want {
			t.Errorf("try %d: documents %v, want %s", try, got, want)
		}
		if docs[0].ID != stack.ID {
			t.Errorf("try %d: first document #%d, want the stack's record #%d", try, docs[0].ID, stack.ID)
		}
		all, err := db.List(ctx, catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Errorf("try %d: %d records, want 3", try, len(all))
		}
		if n, err := db.Pending(ctx); err != nil || n != 3 {
			t.Errorf("try %d: %d jobs pending (%v), want 3: one per document", try, n, err)
		}
	}
	// A resumed ingest still finds the record it made for the file.
	r, err := db.RecordInBatch(ctx, b.ID, "stack.pdf")
	if err != nil || r.ID != stack.ID {
		t.Errorf("RecordInBatch = #%d, %v; want #%d", r.ID, err, stack.ID)
	}
	evs, err := db.Events(ctx, stack.ID)
	if err != nil || len(evs) != 1 || evs[0].Action != "split" {
		t.Errorf("stack's events %+v (%v), want one split", evs, err)
	}
}

func TestSplitStackRefusesBadRanges(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	stack := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "s.pdf", Split: "blank"}, true)
	for _, rs := range [][][2]int{nil, {{0, 1}}, {{2, 1}}, {{1, 3}, {3, 4}}} {
		if _, err := db.SplitStack(context.Background(), stack.ID, rs, catalog.Event{Actor: "t", Action: "split"}); err == nil {
			t.Errorf("ranges %v accepted", rs)
		}
	}
	if _, err := db.SplitStack(context.Background(), 999, [][2]int{{1, 1}}, catalog.Event{Actor: "t", Action: "split"}); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("split of a missing record: %v, want ErrNotFound", err)
	}
}
