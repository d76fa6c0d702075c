package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// reviewData is a data folder whose catalog holds records as the pipeline
// leaves them: two needing review and one failed in commune 21181, one
// needing review in 21184, one digitized, one still queued.
type reviewData struct {
	dir                                string
	doubtful, other, failed, elsewhere int64
	queued                             int64
}

func newReviewData(t *testing.T) reviewData {
	t.Helper()
	ctx := context.Background()
	d := reviewData{dir: filepath.Join(t.TempDir(), "data")}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(d.dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "Lan", Key: "review-test"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(unit string, st catalog.Status, docType string, typeConf float64) int64 {
		t.Helper()
		n++
		r, err := db.AddRecord(ctx, catalog.Record{
			BatchID: b.ID, Unit: unit, Source: fmt.Sprintf("lo-1/scan-%02d.pdf", n), SHA256: fmt.Sprintf("%064x", n),
			Status: st, Stage: "done", Pages: 1, OCRConfidence: 0.8,
			CreatedAt: time.Date(2025, 3, 1, 8, n, 0, 0, time.UTC),
			DocType:   catalog.Field{Value: docType, Confidence: typeConf},
			Field:     catalog.Field{Value: "noi-vu", Confidence: 0.9},
			Number:    catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.95},
			Issued:    catalog.Field{Value: "2025-01-16", Confidence: 0.3},
			Issuer:    catalog.Field{Value: "ỦY BAN NHÂN DÂN XÃ TỊNH PHONG", Confidence: 0.9},
			Subject:   catalog.Field{Value: "Về việc cấp phép", Confidence: 0.9},
		}, st == catalog.StatusQueued)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	d.doubtful = add("21181", catalog.StatusNeedsReview, "quyet-dinh", 0.6)
	d.other = add("21181", catalog.StatusNeedsReview, "khac", 0.9)
	d.failed = add("21181", catalog.StatusFailed, "", 0)
	add("21181", catalog.StatusDigitized, "quyet-dinh", 0.99)
	d.elsewhere = add("21184", catalog.StatusNeedsReview, "cong-van", 0.5)
	d.queued = add("21181", catalog.StatusQueued, "", 0)
	return d
}

func (d reviewData) list(t *testing.T, args ...string) []reviewJSON {
	t.Helper()
	out, stderr, code := sohoa(t, append([]string{"review", "list", "--data", d.dir, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("review list %v: exit %d: %s", args, code, stderr)
	}
	var got []reviewJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("review list --json: %v\n%s", err, out)
	}
	return got
}

func TestReviewList(t *testing.T) {
	d := newReviewData(t)
	got := d.list(t, "--unit", "21181")
	if len(got) != 3 || got[0].ID != d.doubtful || got[1].ID != d.other || got[2].ID != d.failed {
		t.Fatalf("review list --unit 21181: %+v, want records %d, %d, %d oldest first", got, d.doubtful, d.other, d.failed)
	}
	// Why names the fields below classify.DefaultThreshold (type 0.6,
	// date 0.3), not those above it (number 0.95); a khác has no number.
	if w := strings.Join(got[0].Why, ","); w != "doc_type,issued_on" {
		t.Errorf("why of #%d = %q, want doc_type,issued_on", d.doubtful, w)
	}
	if w := strings.Join(got[1].Why, ","); w != "issued_on" {
		t.Errorf("why of #%d = %q, want issued_on", d.other, w)
	}
	if w := strings.Join(got[2].Why, ","); w != "failed" {
		t.Errorf("why of #%d = %q, want failed", d.failed, w)
	}
	if f := got[0].Fields["doc_type"]; f.Value != "quyet-dinh" || f.Confidence != 0.6 || !f.Doubt || f.ByPerson {
		t.Errorf("proposed type of #%d: %+v", d.doubtful, f)
	}
	if all := d.list(t); len(all) != 4 {
		t.Errorf("review list without --unit: %d records, want 4", len(all))
	}
	if failed := d.list(t, "--status", "failed"); len(failed) != 1 || failed[0].ID != d.failed {
		t.Errorf("review list --status failed: %+v", failed)
	}

	out, _, code := sohoa(t, "review", "list", "--data", d.dir, "--unit", "21181")
	if code != 0 || !strings.Contains(out, "⚠") || !strings.Contains(out, "lý do / why: doc_type, issued_on") || !strings.Contains(out, "Quyết định (quyet-dinh)") {
		t.Errorf("review list for a person (exit %d):\n%s", code, out)
	}
	if _, stderr, code := sohoa(t, "review", "list", "--data", d.dir, "--status", "digitized"); code != exitUsage {
		t.Errorf("review list --status digitized: exit %d, want %d: %s", code, exitUsage, stderr)
	}
}

func TestReviewSetAndConfirm(t *testing.T) {
	d := newReviewData(t)
	id := fmt.Sprint(d.doubtful)

	// Bad values are refused before anything is written, saying what to write.
	for _, tc := range []struct{ arg, says string }{
		{"doc_type=quyet", "quyet-dinh, chi-thi"},
		{"field=hộ", "ho-tich"},
		{"issued_on=31/02/2025", "no such day"},
		{"issued_on=2025-02-31", "no such day"},
		{"issued_on=16.1.25", "16/01/2025"},
		{"issued_on=16/01/2999", "future"},
		{"issued_on=hôm qua", "16/01/2025"},
		{"valid=maybe", "true or false"},
		{"status=digitized", "no such field"},
		{"subject=", "empty"},
		{"doc_type", "field=value"},
	} {
		_, stderr, code := sohoa(t, "review", "set", "--data", d.dir, id, tc.arg)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("review set %s: exit %d, want %d saying %q:\n%s", tc.arg, code, exitUsage, tc.says, stderr)
		}
	}
	if _, stderr, code := sohoa(t, "review", "set", "--data", d.dir, fmt.Sprint(d.queued), "number=1/QĐ"); code != exitFailure || !strings.Contains(stderr, "pipeline") {
		t.Errorf("review set of a queued record: exit %d: %s", code, stderr)
	}

	out, stderr, code := sohoa(t, "review", "set", "--data", d.dir, id, "type=Tờ trình", "issued_on=16/01/2025",
		"subject=Về việc xây dựng nhà văn hóa thôn Phước Lộc", "valid=false", "--clerk", "Nguyễn Thị Lan", "--json")
	if code != 0 {
		t.Fatalf("review set: exit %d: %s", code, stderr)
	}
	var set struct {
		Clerk   string          `json:"clerk"`
		Changes []sqlite.Change `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil {
		t.Fatal(err)
	}
	// The date was already 2025-01-16: marked as the clerk's, no change.
	if set.Clerk != "Nguyễn Thị Lan" || len(set.Changes) != 3 ||
		set.Changes[0] != (sqlite.Change{Field: "doc_type", Old: "quyet-dinh", New: "to-trinh"}) ||
		set.Changes[2] != (sqlite.Change{Field: "valid", Old: "true", New: "false"}) {
		t.Errorf("review set --json: %s", out)
	}
	got := d.list(t, "--unit", "21181")[0]
	if got.Valid || !got.Fields["doc_type"].ByPerson || got.Fields["doc_type"].Confidence != 1 || len(got.Why) != 0 {
		t.Errorf("after set, the queue shows %+v", got)
	}
	out, _, _ = sohoa(t, "search", "--data", d.dir, "--json", "nha van hoa Phuoc Loc")
	var hits []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) != 1 || hits[0].ID != d.doubtful {
		t.Errorf("search for the corrected subject: %s (%v)", out, err)
	}

	// Confirming: khác and failed records are refused with what to do.
	if _, stderr, code := sohoa(t, "review", "confirm", "--data", d.dir, fmt.Sprint(d.other)); code != exitFailure || !strings.Contains(stderr, "doc_type=") {
		t.Errorf("confirm of a khac record: exit %d: %s", code, stderr)
	}
	if _, stderr, code := sohoa(t, "review", "confirm", "--data", d.dir, fmt.Sprint(d.failed)); code != exitFailure || !strings.Contains(stderr, "rescan") {
		t.Errorf("confirm of a failed record: exit %d: %s", code, stderr)
	}
	out, stderr, code = sohoa(t, "review", "confirm", "--data", d.dir, id, "--clerk", "Nguyễn Thị Lan")
	if code != 0 || !strings.Contains(out, "đã số hóa") {
		t.Fatalf("review confirm: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, r := range d.list(t) {
		if r.ID == d.doubtful {
			t.Errorf("confirmed record %d still in the review queue", d.doubtful)
		}
	}

	// Who, when, old and new of every correction are in the audit log.
	var corrections []sqlite.Change
	confirmed := false
	for _, ev := range auditLog(t, d.dir, "--record", id) {
		switch ev.Action {
		case "correct":
			var c sqlite.Change
			if err := json.Unmarshal(ev.Details, &c); err != nil {
				t.Fatalf("details of correct event %d: %v", ev.ID, err)
			}
			if ev.Actor != "Nguyễn Thị Lan" {
				t.Errorf("correct event %d by %q", ev.ID, ev.Actor)
			}
			corrections = append(corrections, c)
		case "confirm":
			confirmed = ev.Actor == "Nguyễn Thị Lan"
		}
	}
	if len(corrections) != 3 || corrections[0] != set.Changes[0] || !confirmed {
		t.Errorf("audit log of #%s: corrections %+v, confirmed by the clerk %v", id, corrections, confirmed)
	}
}
