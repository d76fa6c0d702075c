package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func TestDigitizedAtFollowsStatus(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	clk := newClock() // 2025-01-16: under the old catalogue
	db.now = clk.Now
	b := mustBatch(t, db, "k")
	r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "a.pdf", Number: catalog.Field{Value: "86/QĐ-UBND"}, Issued: catalog.Field{Value: "2025-01-10"}}, false)
	late := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "b.pdf"}, false)

	clk.Advance(24 * time.Hour) // 17 January: a is digitized
	r.Status = catalog.StatusDigitized
	if err := db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	clk.Advance(365 * 24 * time.Hour) // 2026: b needs review, then is digitized
	late.Status = catalog.StatusNeedsReview
	if err := db.UpdateRecord(ctx, late); err != nil {
		t.Fatal(err)
	}
	// Updating a digitized record again keeps the day it was digitized.
	r.Subject.Value = "Về việc …"
	if err := db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}

	y2025 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := db.DigitizedCounts(ctx, y2025, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.DigitizedCount{{Unit: "21181", Scheme: catalog.Scheme2024, Before: 0, In: 1}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("DigitizedCounts(2025) = %+v, want %+v (needs_review does not count)", got, want)
	}
	got, err = db.DigitizedCounts(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Before != 1 || got[0].In != 0 {
		t.Errorf("DigitizedCounts(2026) = %+v, want the 2025 record before the period", got)
	}
	refs, err := db.DigitizedRefs(ctx, []string{"21181"}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].RecordID != r.ID || refs[0].Number != "86/QĐ-UBND" || refs[0].IssuedOn != "2025-01-10" ||
		!refs[0].DigitizedAt.Equal(newClock().Now().Add(24*time.Hour)) {
		t.Errorf("DigitizedRefs = %+v", refs)
	}

	// Taken back for review, it no longer counts.
	r.Status = catalog.StatusNeedsReview
	if err := db.UpdateRecord(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.DigitizedCounts(ctx, y2025, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("DigitizedCounts after review = %+v, want none", got)
	}
}

func TestReplaceInventoryReplacesOneUnitYearWithItsEvent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	first := []catalog.Inventory{
		{Unit: "21181", Year: 2024, Counts: []catalog.InventoryCount{{Unit: "21181", Year: 2024, Field: "ho-tich", Count: 30}, {Unit: "21181", Year: 2024, Field: "dat-dai", Count: 12}}},
		{Unit: "21184", Year: 2024, Counts: []catalog.InventoryCount{{Unit: "21184", Year: 2024, Count: 7}}},
	}
	if err := db.ReplaceInventory(ctx, first, catalog.Event{Actor: "it", Action: "inventory_import"}); err != nil {
		t.Fatal(err)
	}
	again := []catalog.Inventory{{Unit: "21181", Year: 2024, Items: []catalog.InventoryItem{
		{Unit: "21181", Year: 2024, Line: 2, Number: "86/QĐ-UBND", IssuedOn: "2024-01-16", DocType: "quyet-dinh"},
	}}}
	if err := db.ReplaceInventory(ctx, again, catalog.Event{Actor: "it", Action: "inventory_import"}); err != nil {
		t.Fatal(err)
	}
	invs, err := db.Inventories(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 2 || invs[0].Unit != "21181" || !invs[0].Itemized() || invs[0].Total() != 1 || len(invs[0].Counts) != 0 ||
		invs[1].Unit != "21184" || invs[1].Total() != 7 {
		t.Errorf("Inventories = %+v, want 21181's register in place of its counts, 21184 untouched", invs)
	}
	var events int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE action = 'inventory_import'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 2 {
		t.Errorf("%d import events, want 2", events)
	}

	// A failing import changes nothing, not even the first unit-year.
	broken := []catalog.Inventory{
		{Unit: "21184", Year: 2024, Counts: []catalog.InventoryCount{{Count: 99}}},
		{Unit: "21181", Year: 2024, Counts: []catalog.InventoryCount{{Count: -1}}}, // CHECK fails
	}
	if err := db.ReplaceInventory(ctx, broken, catalog.Event{Actor: "it", Action: "inventory_import"}); err == nil {
		t.Fatal("a negative count was stored")
	}
	invs, _ = db.Inventories(ctx, 2024)
	if len(invs) != 2 || invs[1].Total() != 7 || !invs[0].Itemized() {
		t.Errorf("after a failed import: %+v, want the earlier inventories whole", invs)
	}
}

func TestUnitsAndSettings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	units := []catalog.Unit{
		{Scheme: catalog.Scheme2024, Code: "21181", Name: "Xã Tịnh Phong", Type: "Xã", Level: catalog.LevelCommune, Parent: "527", ValidTo: "2025-06-30"},
		{Scheme: catalog.Scheme2025, Code: "21181", Name: "Xã Thọ Phong", Type: "Xã", Level: catalog.LevelCommune, Parent: "51", ValidFrom: "2025-07-01"},
	}
	merges := []catalog.Merge{{New: "21181", Old: "21181", Full: true}, {New: "21181", Old: "21175", Full: true}}
	if err := db.ReplaceUnits(ctx, units, merges, catalog.Event{Actor: "it", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Units(ctx, catalog.Scheme2025)
	if err != nil || len(got) != 1 || got[0] != units[1] {
		t.Errorf("Units(2025) = %+v, %v", got, err)
	}
	if ms, _ := db.Merges(ctx); len(ms) != 2 {
		t.Errorf("Merges = %+v", ms)
	}
	if _, err := db.Setting(ctx, "targets"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Setting before any = %v, want ErrNotFound", err)
	}
	for _, v := range []string{`{"a":1}`, `{"a":2}`} {
		if err := db.SetSetting(ctx, "targets", v, catalog.Event{Actor: "it", Action: "targets_load"}); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := db.Setting(ctx, "targets"); v != `{"a":2}` || err != nil {
		t.Errorf("Setting = %q, %v", v, err)
	}
}

// TestDigitizedCountsSplitsSchemesAndPeriods puts records on every edge
// DigitizedCounts cuts at: ingested the last instant before the
// reorganisation and the first one of it, digitized at from and at until.
func TestDigitizedCountsSplitsSchemesAndPeriods(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	b := mustBatch(t, db, "k")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	add := func(source, unit, created, digitized string, status catalog.Status) {
		t.Helper()
		db.now = func() time.Time { return at(created) }
		r := mustRecord(t, db, catalog.Record{BatchID: b.ID, Unit: unit, Source: source}, false)
		db.now = func() time.Time { return at(digitized) }
		r.Status = status
		if err := db.UpdateRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	add("a", "21181", "2024-12-31T23:59:59Z", "2024-12-31T23:59:59Z", catalog.StatusDigitized)
	add("b", "21181", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", catalog.StatusDigitized)
	add("c", "21181", "2025-06-30T23:59:59.999999999Z", "2025-07-02T08:00:00Z", catalog.StatusDigitized)
	add("d", "21181", "2025-07-01T00:00:00Z", "2025-07-01T00:00:00Z", catalog.StatusDigitized)
	add("e", "21181", "2025-12-31T23:59:59.999999999Z", "2025-12-31T23:59:59.999999999Z", catalog.StatusDigitized)
	add("f", "21181", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", catalog.StatusDigitized)
	add("g", "21184", "2025-08-01T00:00:00Z", "2025-08-01T00:00:00Z", catalog.StatusDigitized)
	add("h", "21184", "2025-08-01T00:00:00Z", "2025-08-01T00:00:00Z", catalog.StatusFailed)
	add("i", "00001", "2023-05-05T00:00:00Z", "2023-05-06T00:00:00Z", catalog.StatusDigitized)

	until := at("2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		from string
		want []catalog.DigitizedCount
	}{
		{"2025-01-01T00:00:00Z", []catalog.DigitizedCount{
			{Unit: "00001", Scheme: catalog.Scheme2024, Before: 1},
			{Unit: "21181", Scheme: catalog.Scheme2024, Before: 1, In: 2},
			{Unit: "21181", Scheme: catalog.Scheme2025, In: 2},
			{Unit: "21184", Scheme: catalog.Scheme2025, In: 1},
		}},
		{"2025-09-01T00:00:00Z", []catalog.DigitizedCount{
			{Unit: "00001", Scheme: catalog.Scheme2024, Before: 1},
			{Unit: "21181", Scheme: catalog.Scheme2024, Before: 3},
			{Unit: "21181", Scheme: catalog.Scheme2025, Before: 1, In: 1},
			{Unit: "21184", Scheme: catalog.Scheme2025, Before: 1},
		}},
	} {
		t.Run(tc.from, func(t *testing.T) {
			got, err := db.DigitizedCounts(ctx, at(tc.from), until)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("DigitizedCounts(%s, %s) =\n%+v\nwant\n%+v", tc.from, until.Format(time.RFC3339), got, tc.want)
			}
		})
	}
}
