package sqlite

import (
	"context"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func TestPagesPerHour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	now := time.Date(2025, 1, 16, 8, 30, 0, 0, time.UTC)
	index := func(pages int, at time.Time) {
		t.Helper()
		r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: at.String(), Pages: pages, Status: catalog.StatusDigitized}, false)
		if err := db.AppendEvent(ctx, catalog.Event{At: at, Actor: "sohoa", Action: "index", RecordID: r.ID}); err != nil {
			t.Fatal(err)
		}
		// Other events of the same record are not work finished.
		if err := db.AppendEvent(ctx, catalog.Event{At: at, Actor: "sohoa", Action: "ocr", RecordID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	index(3, now.Add(-25*time.Hour)) // too old
	index(4, now.Add(-23*time.Hour-50*time.Minute))
	index(2, now.Add(-10*time.Minute))
	index(5, now.Add(-1*time.Minute))

	got, err := db.PagesPerHour(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.HourPages{
		{Hour: time.Date(2025, 1, 15, 8, 0, 0, 0, time.UTC), Records: 1, Pages: 4},
		{Hour: time.Date(2025, 1, 16, 8, 0, 0, 0, time.UTC), Records: 2, Pages: 7},
	}
	if len(got) != len(want) {
		t.Fatalf("PagesPerHour = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Hour.Equal(want[i].Hour) || got[i].Records != want[i].Records || got[i].Pages != want[i].Pages {
			t.Errorf("hour %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	total, err := db.PagesProcessed(ctx)
	if err != nil || total != 14 {
		t.Errorf("PagesProcessed = %d, %v; want 14", total, err)
	}
}
