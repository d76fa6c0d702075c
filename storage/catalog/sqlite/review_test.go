package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// reviewRecord adds a finished record as the pipeline leaves one for review.
func reviewRecord(t *testing.T, db *DB, b catalog.Batch, source, unit string, status catalog.Status, docType string) catalog.Record {
	t.Helper()
	r := mustRecord(t, db, catalog.Record{
		BatchID: b.ID, Unit: unit, Source: source, SHA256: source, Status: status, Stage: "done", Pages: 1,
		DocType: catalog.Field{Value: docType, Confidence: 0.41},
		Field:   catalog.Field{Value: "noi-vu", Confidence: 0.5},
		Number:  catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.95},
		Issued:  catalog.Field{Value: "2025-01-16", Confidence: 0.3},
		Issuer:  catalog.Field{Value: "ỦY BAN NHÂN DÂN XÃ TỊNH PHONG", Confidence: 0.9},
		Subject: catalog.Field{Value: "Về việc cấp phép", Confidence: 0.9},
	}, false)
	mustPage(t, db, r.ID, 1, "QUYẾT ĐỊNH Về việc cấp phép")
	return r
}

func TestCorrectLogsAndIndexes(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	db := openTest(t)
	db.now = clk.Now
	r := reviewRecord(t, db, mustBatch(t, db, "k"), "a.pdf", "21181", catalog.StatusNeedsReview, "quyet-dinh")
	clk.Advance(time.Minute)

	changes, err := db.Correct(ctx, r.ID, "Lan", []Correction{
		{Field: "doc_type", Value: "to-trinh"},
		{Field: "subject", Value: "Về việc xây dựng nhà văn hóa thôn Phước Lộc"},
		{Field: "number", Value: "86/QĐ-UBND"}, // the value it had: marked, not logged
		{Field: "valid", Value: "false"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{"doc_type", "quyet-dinh", "to-trinh"},
		{"subject", "Về việc cấp phép", "Về việc xây dựng nhà văn hóa thôn Phước Lộc"},
		{"valid", "true", "false"},
	}
	if len(changes) != len(want) {
		t.Fatalf("changes %+v, want %+v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, changes[i], want[i])
		}
	}
	got, err := db.Record(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DocType != (catalog.Field{Value: "to-trinh", Confidence: 1}) || got.Number.Confidence != 1 || got.Issued.Confidence != 0.3 {
		t.Errorf("after Correct: type %+v number %+v issued %+v", got.DocType, got.Number, got.Issued)
	}
	if got.Status != catalog.StatusNeedsReview {
		t.Errorf("Correct changed status to %s: only Confirm does", got.Status)
	}
	if v, err := db.Valid(ctx, r.ID); err != nil || v {
		t.Errorf("Valid = %v, %v; want false", v, err)
	}

	// Every change is an event with who, when, old and new.
	evs, err := db.Events(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var logged []Change
	for _, e := range evs {
		if e.Action != "correct" {
			continue
		}
		if e.Actor != "Lan" || !e.At.Equal(clk.Now()) {
			t.Errorf("correct event by %q at %s, want Lan at %s", e.Actor, e.At, clk.Now())
		}
		var c Change
		if err := json.Unmarshal([]byte(e.Details), &c); err != nil {
			t.Fatalf("details %q: %v", e.Details, err)
		}
		logged = append(logged, c)
	}
	if len(logged) != 3 || logged[0] != want[0] || logged[2] != want[2] {
		t.Errorf("logged %+v, want %+v", logged, want)
	}

	// The search index reads the corrected subject at once.
	hits, err := db.Search(ctx, "nha van hoa Phuoc Loc", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].RecordID != r.ID {
		t.Errorf("search for the corrected subject: %+v, want record %d", hits, r.ID)
	}

	set, confirmed, err := db.PersonSet(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if confirmed || set["doc_type"] != "to-trinh" || set["number"] != "86/QĐ-UBND" || set["valid"] != "false" || len(set) != 4 {
		t.Errorf("PersonSet = %v, %v", set, confirmed)
	}

	if _, err := db.Correct(ctx, r.ID, "Lan", []Correction{{Field: "status", Value: "digitized"}}); err == nil {
		t.Error("Correct of an unknown field succeeded")
	}
	if _, err := db.Correct(ctx, 999, "Lan", []Correction{{Field: "number", Value: "1"}}); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Correct of no record: %v, want ErrNotFound", err)
	}
}

func TestConfirm(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	doubtful := reviewRecord(t, db, b, "a.pdf", "21181", catalog.StatusNeedsReview, "quyet-dinh")
	other := reviewRecord(t, db, b, "b.pdf", "21181", catalog.StatusNeedsReview, "khac")
	failed := reviewRecord(t, db, b, "c.pdf", "21181", catalog.StatusFailed, "")
	queued := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "d.pdf"}, true)

	r, err := db.Confirm(ctx, doubtful.ID, "Lan")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != catalog.StatusDigitized || r.Error != "" || r.Issued.Confidence != 1 || r.DocType.Confidence != 1 {
		t.Errorf("confirmed record: %+v", r)
	}
	// It counts toward targets: progress reads digitized_at.
	dig, err := db.DigitizedRefs(ctx, []string{"21181"}, db.now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(dig) != 1 || dig[0].RecordID != doubtful.ID {
		t.Errorf("digitized records after confirm: %+v", dig)
	}
	set, confirmed, err := db.PersonSet(ctx, doubtful.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !confirmed || set["doc_type"] != "quyet-dinh" || set["issued_on"] != "2025-01-16" || set["valid"] != "true" {
		t.Errorf("after confirm PersonSet = %v, %v: every field pinned", set, confirmed)
	}

	// "khác" is refused until a person says so.
	if _, err := db.Confirm(ctx, other.ID, "Lan"); !errors.Is(err, ErrTypeUnknown) {
		t.Errorf("Confirm of a khac record: %v, want ErrTypeUnknown", err)
	}
	if _, err := db.Correct(ctx, other.ID, "Lan", []Correction{{Field: "doc_type", Value: "khac"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Confirm(ctx, other.ID, "Lan"); err != nil {
		t.Errorf("Confirm of a record a person typed khac: %v", err)
	}
	for _, id := range []int64{failed.ID, queued.ID} {
		if _, err := db.Confirm(ctx, id, "Lan"); !errors.Is(err, ErrNotReviewable) {
			t.Errorf("Confirm of record %d: %v, want ErrNotReviewable", id, err)
		}
	}
	if _, err := db.Confirm(ctx, 999, "Lan"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Confirm of no record: %v, want ErrNotFound", err)
	}

	confs, err := db.Confirmations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(confs) != 2 || confs[0].RecordID != doubtful.ID || confs[1].RecordID != other.ID || confs[0].Clerk != "Lan" {
		t.Errorf("Confirmations = %+v", confs)
	}
	evs, err := db.Events(ctx, doubtful.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[len(evs)-1].Action != "confirm" || evs[len(evs)-1].Actor != "Lan" {
		t.Errorf("events of the confirmed record: %+v", evs)
	}
}

func TestReviewQueue(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	db := openTest(t)
	db.now = clk.Now
	b := mustBatch(t, db, "k")
	add := func(source, unit string, st catalog.Status) int64 {
		clk.Advance(time.Second)
		return reviewRecord(t, db, b, source, unit, st, "quyet-dinh").ID
	}
	a := add("a", "21181", catalog.StatusNeedsReview)
	add("b", "21181", catalog.StatusDigitized)
	c := add("c", "21181", catalog.StatusFailed)
	d := add("d", "21184", catalog.StatusNeedsReview)
	for _, tc := range []struct {
		unit   string
		status catalog.Status
		want   []int64
	}{
		{"", "", []int64{a, c, d}},
		{"21181", "", []int64{a, c}},
		{"21181", catalog.StatusFailed, []int64{c}},
		{"21184", catalog.StatusFailed, nil},
	} {
		recs, err := db.ReviewQueue(ctx, tc.unit, tc.status)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if len(got) != len(tc.want) {
			t.Errorf("ReviewQueue(%q, %q) = %v, want %v", tc.unit, tc.status, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ReviewQueue(%q, %q) = %v, want %v", tc.unit, tc.status, got, tc.want)
				break
			}
		}
	}
}
