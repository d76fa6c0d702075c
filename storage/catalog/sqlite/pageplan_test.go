package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"sohoa/storage/catalog"
)

// TestSetPagePlan: a page plan is kept with the scanned count, the pages
// read so far are forgotten, the record and its job are queued again and
// the change is an event with the old and the new plan; the plan of the
// pages as scanned removes the row; a record in the pipeline is refused.
func TestSetPagePlan(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "plan")
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "lo-1.tif", SHA256: strings.Repeat("a", 64), Pages: 3,
		Status: catalog.StatusNeedsReview, Stage: "done", Number: catalog.Field{Value: "86/QĐ-UBND", Confidence: 1}}, true)
	for n := 1; n <= 3; n++ {
		mustPage(t, db, r.ID, n, fmt.Sprintf("trang %d", n))
	}
	if plan, scanned, err := db.PagePlanScanned(ctx, r.ID); plan != nil || scanned != 0 || err != nil {
		t.Fatalf("plan of a record without one: %v %d %v", plan, scanned, err)
	}
	if err := db.SetPagePlan(ctx, r.ID, [][2]int{{3, 90}, {1, 0}}, 3, "lan", []string{"remove=2", "order=3,1", "rotate=3:90"}); err != nil {
		t.Fatal(err)
	}
	plan, scanned, err := db.PagePlanScanned(ctx, r.ID)
	if err != nil || fmt.Sprint(plan) != "[[3 90] [1 0]]" || scanned != 3 {
		t.Errorf("plan kept: %v of %d (%v)", plan, scanned, err)
	}
	pgs, _ := db.Pages(ctx, r.ID)
	got, _ := db.Record(ctx, r.ID)
	if len(pgs) != 0 || got.Status != catalog.StatusQueued || got.Number.Value != "86/QĐ-UBND" {
		t.Errorf("after the change: %d pages kept, status %s, number %q; want none, queued, the number kept", len(pgs), got.Status, got.Number.Value)
	}
	job, err := db.Claim(ctx, "w", 60e9)
	if err != nil || job.RecordID != r.ID {
		t.Errorf("claim after the change: %+v %v, want the record's job", job, err)
	}
	// While it is in the pipeline the pages cannot change.
	if err := db.SetPagePlan(ctx, r.ID, nil, 3, "lan", []string{"reset"}); !errors.Is(err, ErrInPipeline) {
		t.Errorf("change while processing: %v, want ErrInPipeline", err)
	}
	if err := db.Finish(ctx, job.ID, "w"); err != nil {
		t.Fatal(err)
	}
	got.Status = catalog.StatusNeedsReview
	if err := db.UpdateRecord(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPagePlan(ctx, r.ID, nil, 3, "lan", []string{"reset"}); err != nil {
		t.Fatal(err)
	}
	if plan, _, err := db.PagePlanScanned(ctx, r.ID); plan != nil || err != nil {
		t.Errorf("plan after reset: %v %v, want none", plan, err)
	}
	evs, _ := db.Events(ctx, r.ID)
	var details []string
	for _, e := range evs {
		if e.Action == "pages" && e.Actor == "lan" {
			details = append(details, e.Details)
		}
	}
	if len(details) != 2 || !strings.Contains(details[0], `"old":[]`) || !strings.Contains(details[0], `"new":[[3,90],[1,0]]`) ||
		!strings.Contains(details[1], `"old":[[3,90],[1,0]]`) || !strings.Contains(details[1], `"new":[]`) {
		t.Errorf("pages events: %q", details)
	}
	if err := db.SetPagePlan(ctx, 9999, nil, 1, "lan", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("change of no record: %v, want ErrNotFound", err)
	}
}
