package sqlite

import (
	"context"
	"errors"
	"fmt"
	"image"
	"reflect"
	"testing"
	"time"

	"sohoa/ocr"
	"sohoa/storage/catalog"
)

func TestOpenBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)

	first, err := db.OpenBatch(ctx, catalog.Batch{Unit: "51", Clerk: "Lan", Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := db.OpenBatch(ctx, catalog.Batch{Key: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SealBatch(ctx, sealed.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		in      catalog.Batch
		resumes int64 // ID expected back; 0 for a new batch
	}{
		{"resumes open batch with the key", catalog.Batch{Key: "k1", Clerk: "someone else"}, first.ID},
		{"new key creates", catalog.Batch{Key: "k2", Unit: "51"}, 0},
		{"sealed batch is not resumed", catalog.Batch{Key: "sealed"}, 0},
		{"empty key always creates", catalog.Batch{Clerk: "Lan"}, 0},
		{"empty key again creates", catalog.Batch{Clerk: "Lan"}, 0},
	}
	ids := map[int64]bool{first.ID: true, sealed.ID: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.OpenBatch(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.resumes != 0 {
				if got.ID != tt.resumes {
					t.Fatalf("got batch %d, want %d resumed", got.ID, tt.resumes)
				}
				if got.Clerk != "Lan" {
					t.Errorf("resumed batch has clerk %q, want the stored %q", got.Clerk, "Lan")
				}
				return
			}
			if ids[got.ID] {
				t.Fatalf("got existing batch %d, want a new one", got.ID)
			}
			ids[got.ID] = true
			if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt = %v, want set, in UTC", got.CreatedAt)
			}
			stored, err := db.Batch(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, got) {
				t.Errorf("stored %+v, returned %+v", stored, got)
			}
		})
	}
}

func TestSealBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")

	tests := []struct {
		name string
		id   int64
		want error
	}{
		{"open batch", b.ID, nil},
		{"twice", b.ID, nil},
		{"missing", b.ID + 100, catalog.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.SealBatch(ctx, tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("SealBatch(%d) = %v, want %v", tt.id, err, tt.want)
			}
		})
	}
	got, err := db.Batch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Sealed {
		t.Error("batch not sealed")
	}
}

func fullRecord(batchID int64, source string) catalog.Record {
	return catalog.Record{
		BatchID:       batchID,
		Unit:          "51",
		Source:        source,
		SHA256:        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Size:          123456,
		ContentType:   "application/pdf",
		Pages:         2,
		Status:        catalog.StatusQueued,
		Stage:         "store",
		DocType:       catalog.Field{Value: "Quyết định", Confidence: 0.9},
		Field:         catalog.Field{Value: "Đất đai", Confidence: 0.7},
		Number:        catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.95},
		Issued:        catalog.Field{Value: "2025-01-16", Confidence: 0.8},
		Issuer:        catalog.Field{Value: "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", Confidence: 0.85},
		Subject:       catalog.Field{Value: "Về việc giao đất", Confidence: 0.6},
		OCRConfidence: 0.93,
		Original:      "sha256/9f/86d0",
		Error:         "",
	}
}

func TestAddRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	created := time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.FixedZone("ICT", 7*3600))

	tests := []struct {
		name    string
		in      catalog.Record
		enqueue bool
		wantErr bool
	}{
		{"full, enqueued", fullRecord(b.ID, "a.pdf"), true, false},
		{"minimal, not enqueued", catalog.Record{BatchID: b.ID, Source: "b.pdf"}, false, false},
		{"created time kept, in UTC", func() catalog.Record {
			r := fullRecord(b.ID, "c.pdf")
			r.CreatedAt = created
			return r
		}(), false, false},
		{"same source twice", fullRecord(b.ID, "a.pdf"), true, true},
		{"no such batch", fullRecord(b.ID+100, "x.pdf"), true, true},
		{"unknown status", func() catalog.Record {
			r := fullRecord(b.ID, "d.pdf")
			r.Status = "done"
			return r
		}(), false, true},
		{"duplicate of a missing record", func() catalog.Record {
			r := fullRecord(b.ID, "e.pdf")
			r.Status, r.DuplicateOf = catalog.StatusDuplicate, 999
			return r
		}(), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pendingBefore, _ := db.Pending(ctx)
			got, err := db.AddRecord(ctx, tt.in, tt.enqueue)
			pendingAfter, _ := db.Pending(ctx)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("AddRecord = %+v, want an error", got)
				}
				if pendingAfter != pendingBefore {
					t.Errorf("a refused record left a job behind: pending %d -> %d", pendingBefore, pendingAfter)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == 0 || got.Status == "" || got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
				t.Errorf("AddRecord returned %+v: want ID, Status and times set", got)
			}
			if !tt.in.CreatedAt.IsZero() && !got.CreatedAt.Equal(tt.in.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, tt.in.CreatedAt)
			}
			stored, err := db.Record(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, got) {
				t.Errorf("stored\n%+v\nreturned\n%+v", stored, got)
			}
			want := 0
			if tt.enqueue {
				want = 1
			}
			if pendingAfter-pendingBefore != want {
				t.Errorf("pending jobs grew by %d, want %d", pendingAfter-pendingBefore, want)
			}
		})
	}
}

func TestRecordLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b1, b2 := mustBatch(t, db, "1"), mustBatch(t, db, "2")
	a := mustRecord(t, db, fullRecord(b1.ID, "Quyết định.pdf"), false)
	dup := fullRecord(b2.ID, "Quyết định.pdf")
	dup.Status, dup.DuplicateOf = catalog.StatusDuplicate, a.ID
	d := mustRecord(t, db, dup, false)
	other := fullRecord(b2.ID, "other.pdf")
	other.SHA256 = "00"
	o := mustRecord(t, db, other, false)

	t.Run("Record", func(t *testing.T) {
		tests := []struct {
			id   int64
			want int64
			err  error
		}{
			{a.ID, a.ID, nil},
			{d.ID, d.ID, nil},
			{o.ID + 1, 0, catalog.ErrNotFound},
			{0, 0, catalog.ErrNotFound},
		}
		for _, tt := range tests {
			got, err := db.Record(ctx, tt.id)
			if !errors.Is(err, tt.err) || got.ID != tt.want {
				t.Errorf("Record(%d) = %d, %v; want %d, %v", tt.id, got.ID, err, tt.want, tt.err)
			}
		}
	})
	t.Run("RecordInBatch", func(t *testing.T) {
		tests := []struct {
			batch  int64
			source string
			want   int64
			err    error
		}{
			{b1.ID, "Quyết định.pdf", a.ID, nil},
			{b2.ID, "Quyết định.pdf", d.ID, nil},
			{b2.ID, "other.pdf", o.ID, nil},
			{b1.ID, "other.pdf", 0, catalog.ErrNotFound},
			{b1.ID, "quyết định.pdf", 0, catalog.ErrNotFound},
		}
		for _, tt := range tests {
			got, err := db.RecordInBatch(ctx, tt.batch, tt.source)
			if !errors.Is(err, tt.err) || got.ID != tt.want {
				t.Errorf("RecordInBatch(%d, %q) = %d, %v; want %d, %v", tt.batch, tt.source, got.ID, err, tt.want, tt.err)
			}
		}
	})
	t.Run("FirstRecordWithSHA", func(t *testing.T) {
		tests := []struct {
			sha  string
			want int64
			err  error
		}{
			{a.SHA256, a.ID, nil},
			{"00", o.ID, nil},
			{"ff", 0, catalog.ErrNotFound},
		}
		for _, tt := range tests {
			got, err := db.FirstRecordWithSHA(ctx, tt.sha)
			if !errors.Is(err, tt.err) || got.ID != tt.want {
				t.Errorf("FirstRecordWithSHA(%q) = %d, %v; want %d, %v", tt.sha, got.ID, err, tt.want, tt.err)
			}
		}
	})
	t.Run("FirstRecordWithSHA skips duplicates", func(t *testing.T) {
		// Only duplicates hold these bytes: none qualifies.
		r := fullRecord(b1.ID, "dup-only.pdf")
		r.SHA256, r.Status, r.DuplicateOf = "abcd", catalog.StatusDuplicate, a.ID
		mustRecord(t, db, r, false)
		if _, err := db.FirstRecordWithSHA(ctx, "abcd"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("FirstRecordWithSHA of duplicates only = %v, want ErrNotFound", err)
		}
	})
}

func TestUpdateRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	b := mustBatch(t, db, "k")
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, true)

	tests := []struct {
		name   string
		change func(*catalog.Record)
		err    error
	}{
		{"every field", func(r *catalog.Record) {
			id, created := r.ID, r.CreatedAt
			*r = fullRecord(b.ID, "renamed.pdf")
			r.ID, r.CreatedAt = id, created
			r.Status = catalog.StatusDigitized
			r.Archive = "archive/1.pdf"
			r.Error = "trang 3 bị mờ"
		}, nil},
		{"zero CreatedAt keeps the stored one", func(r *catalog.Record) {
			r.CreatedAt = time.Time{}
			r.Stage = "ocr"
		}, nil},
		{"back to empty fields", func(r *catalog.Record) {
			r.Subject, r.Number, r.DuplicateOf = catalog.Field{}, catalog.Field{}, 0
		}, nil},
		{"missing record", func(r *catalog.Record) { r.ID += 100 }, catalog.ErrNotFound},
		{"bad status", func(r *catalog.Record) { r.Status = "bogus" }, nil /* checked below */},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := db.Record(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			tt.change(&want)
			clk.Advance(time.Second)
			err = db.UpdateRecord(ctx, want)
			if tt.name == "bad status" {
				if err == nil {
					t.Fatal("UpdateRecord with status bogus succeeded")
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("UpdateRecord = %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				return
			}
			got, err := db.Record(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want.CreatedAt.IsZero() {
				want.CreatedAt = before.CreatedAt
			}
			want.UpdatedAt = clk.Now()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b1, b2 := mustBatch(t, db, "1"), mustBatch(t, db, "2")
	add := func(b int64, unit string, st catalog.Status, docType string) int64 {
		r := catalog.Record{BatchID: b, Unit: unit, Source: fmt.Sprint(unit, st, docType, b), Status: st}
		r.DocType.Value = docType
		return mustRecord(t, db, r, false).ID
	}
	r1 := add(b1.ID, "51", catalog.StatusDigitized, "Quyết định")
	r2 := add(b1.ID, "51", catalog.StatusNeedsReview, "Quyết định")
	r3 := add(b2.ID, "52", catalog.StatusDigitized, "Thông báo")
	r4 := add(b2.ID, "51", catalog.StatusDigitized, "Thông báo")

	tests := []struct {
		name string
		f    catalog.Filter
		want []int64
	}{
		{"all, oldest first", catalog.Filter{}, []int64{r1, r2, r3, r4}},
		{"unit", catalog.Filter{Unit: "51"}, []int64{r1, r2, r4}},
		{"status", catalog.Filter{Status: catalog.StatusDigitized}, []int64{r1, r3, r4}},
		{"doc type", catalog.Filter{DocType: "Thông báo"}, []int64{r3, r4}},
		{"batch", catalog.Filter{BatchID: b1.ID}, []int64{r1, r2}},
		{"combined", catalog.Filter{Unit: "51", Status: catalog.StatusDigitized, BatchID: b2.ID}, []int64{r4}},
		{"limit", catalog.Filter{Limit: 2}, []int64{r1, r2}},
		{"nothing", catalog.Filter{Unit: "99"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := db.List(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("List(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, false)
	other := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "b.pdf"}, false)

	page := func(n int, text string, words ...ocr.Word) catalog.Page {
		return catalog.Page{RecordID: r.ID, N: n, Source: "ocr", DPI: 300,
			Page: ocr.Page{Text: text, Words: words, Confidence: 0.91, Width: 2480, Height: 3508}}
	}
	w := ocr.Word{Text: "QUYẾT", Box: image.Rect(10, 20, 110, 60), Confidence: 0.97, Line: 3}

	tests := []struct {
		name    string
		put     catalog.Page
		wantErr bool
		want    []catalog.Page
	}{
		{"second page first", page(2, "trang hai"), false, []catalog.Page{page(2, "trang hai")}},
		{"first page with words", page(1, "QUYẾT ĐỊNH", w), false, []catalog.Page{page(1, "QUYẾT ĐỊNH", w), page(2, "trang hai")}},
		{"replace", page(2, "trang hai, đọc lại"), false, []catalog.Page{page(1, "QUYẾT ĐỊNH", w), page(2, "trang hai, đọc lại")}},
		{"text layer", func() catalog.Page { p := page(3, "văn bản"); p.Source = "text"; return p }(), false,
			[]catalog.Page{page(1, "QUYẾT ĐỊNH", w), page(2, "trang hai, đọc lại"), func() catalog.Page { p := page(3, "văn bản"); p.Source = "text"; return p }()}},
		{"page 0", page(0, "x"), true, nil},
		{"unknown source", func() catalog.Page { p := page(4, "x"); p.Source = "scan"; return p }(), true, nil},
		{"missing record", func() catalog.Page { p := page(1, "x"); p.RecordID = 999; return p }(), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.PutPage(ctx, tt.put)
			if tt.wantErr {
				if err == nil {
					t.Fatal("PutPage succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.Pages(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Pages =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	if ps, err := db.Pages(ctx, other.ID); err != nil || len(ps) != 0 {
		t.Errorf("Pages of a record without pages = %v, %v; want none", ps, err)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: "a.pdf"}, false)
	at := time.Date(2025, 1, 16, 1, 2, 3, 4, time.UTC)

	tests := []struct {
		name    string
		e       catalog.Event
		wantErr bool
	}{
		{"ingest", catalog.Event{At: at, Actor: "Lan", Action: "ingest", RecordID: r.ID, Details: `{"file":"a.pdf"}`}, false},
		{"no time, no details", catalog.Event{Actor: "sohoa", Action: "ocr", RecordID: r.ID}, false},
		{"about no record", catalog.Event{Actor: "sohoa", Action: "start"}, false},
		{"details not JSON", catalog.Event{Actor: "sohoa", Action: "x", RecordID: r.ID, Details: "{oops"}, true},
		{"missing record", catalog.Event{Actor: "sohoa", Action: "x", RecordID: r.ID + 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.AppendEvent(ctx, tt.e)
			if (err != nil) != tt.wantErr {
				t.Fatalf("AppendEvent = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	got, err := db.Events(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "ingest" || got[1].Action != "ocr" {
		t.Fatalf("Events = %+v, want ingest then ocr", got)
	}
	if !got[0].At.Equal(at) || got[0].Details != `{"file":"a.pdf"}` || got[0].Actor != "Lan" || got[0].RecordID != r.ID {
		t.Errorf("first event = %+v", got[0])
	}
	if got[1].At.IsZero() {
		t.Error("event without time was not stamped")
	}
	if none, err := db.Events(ctx, r.ID+1); err != nil || len(none) != 0 {
		t.Errorf("Events of unknown record = %v, %v", none, err)
	}

	// The log is evidence: the schema refuses to rewrite it.
	for _, q := range []string{`UPDATE events SET actor = 'x'`, `DELETE FROM events`} {
		if _, err := db.write.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on the append-only log", q)
		}
	}
}
