package progress_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/catalog/sqlite/sqlitetest"
)

// TestProgressOnTheRealCatalogues builds reports from a real catalog file
// holding the real unit catalogues, an inventory for nine communes in ten
// of the 63 provinces' 10,047 (and of the 3,321 communes of 2025), and a
// few records of every commune. In 2024 each district and province must
// add up its communes' counts, over those with an inventory; in 2025 the
// records of an old commune merged whole count toward its new commune,
// and those of one split between several are unassigned, with the
// candidates, never guessed.
func TestProgressOnTheRealCatalogues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat, err := dvhc.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceUnits(ctx, cat.Units, cat.Merges, catalog.Event{Actor: "test", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}

	units := map[catalog.Scheme]map[string]catalog.Unit{catalog.Scheme2024: {}, catalog.Scheme2025: {}}
	children := map[catalog.Scheme]map[string][]string{catalog.Scheme2024: {}, catalog.Scheme2025: {}}
	for _, u := range cat.Units {
		units[u.Scheme][u.Code] = u
		children[u.Scheme][u.Parent] = append(children[u.Scheme][u.Parent], u.Code)
	}
	byOld := map[string][]catalog.Merge{}
	for _, m := range cat.Merges {
		byOld[m.Old] = append(byOld[m.Old], m)
	}

	// What each commune holds and has digitized, by the end of each year.
	rng := rand.New(rand.NewPCG(3, 2024))
	held := map[catalog.Scheme]map[string]int{catalog.Scheme2024: {}, catalog.Scheme2025: {}}
	var invs2024, invs2025 []catalog.Inventory
	for _, u := range cat.Units {
		if u.Level != catalog.LevelCommune || rng.IntN(10) == 0 {
			continue
		}
		n := 10 + rng.IntN(40)
		held[u.Scheme][u.Code] = n
		inv := catalog.Inventory{Unit: u.Code, Counts: []catalog.InventoryCount{{Unit: u.Code, Count: n}}}
		if u.Scheme == catalog.Scheme2024 {
			inv.Year, inv.Counts[0].Year = 2024, 2024
			invs2024 = append(invs2024, inv)
		} else {
			inv.Year, inv.Counts[0].Year = 2025, 2025
			invs2025 = append(invs2025, inv)
		}
	}
	if err := db.ReplaceInventory(ctx, append(invs2024, invs2025...), catalog.Event{Actor: "test", Action: "inventory_import"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Every old commune gets up to five records: most digitized in
	// 2021–2024, some digitized only in 2025 (ingested before the
	// reorganisation, under the old code), some never digitized. Some new
	// communes get records ingested under their new code.
	var recs []sqlitetest.Record
	by2024, by2025 := map[string]int{}, map[string]int{} // digitized by 31 December, by code
	new2025 := map[string]int{}
	day := func(from, to time.Time) time.Time {
		return from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
	}
	y2021, y2025 := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	reorganised, y2026 := catalog.Reorganised, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range cat.Units {
		if u.Level != catalog.LevelCommune {
			continue
		}
		if u.Scheme == catalog.Scheme2025 {
			if rng.IntN(4) == 0 {
				at := day(reorganised, y2026)
				recs = append(recs, sqlitetest.Record{Unit: u.Code, Status: catalog.StatusDigitized, Created: at})
				new2025[u.Code]++
			}
			continue
		}
		for range rng.IntN(6) {
			r := sqlitetest.Record{Unit: u.Code, Status: catalog.StatusDigitized, Created: day(y2021, y2025)}
			switch n := rng.IntN(10); {
			case n == 0:
				r.Status = catalog.StatusNeedsReview
			case n == 1:
				r.Status = catalog.StatusFailed
			case n == 2:
				r.Updated = day(y2025, reorganised) // digitized in 2025
				by2025[u.Code]++
			default:
				by2024[u.Code]++
				by2025[u.Code]++
			}
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(a, b sqlitetest.Record) int { return a.Created.Compare(b.Created) })
	if err := sqlitetest.InsertRecords(ctx, path, slices.Values(recs)); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("2024 adds up counts", func(t *testing.T) {
		rep, err := progress.Build(ctx, db, 2024, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		rows := rowsByUnit(rep)
		// want is a unit's digitized and total: a commune's own when it has
		// an inventory, else nothing; a parent's, its children's summed.
		var want func(code string) (int, int)
		want = func(code string) (int, int) {
			if units[catalog.Scheme2024][code].Level == catalog.LevelCommune {
				if n, ok := held[catalog.Scheme2024][code]; ok {
					return by2024[code], n
				}
				return 0, 0
			}
			d, n := 0, 0
			for _, c := range children[catalog.Scheme2024][code] {
				cd, cn := want(c)
				d, n = d+cd, n+cn
			}
			return d, n
		}
		levels := map[catalog.Level]int{}
		for code, u := range units[catalog.Scheme2024] {
			r, ok := rows[code]
			if !ok {
				t.Errorf("no row for %s %s", code, u.Name)
				continue
			}
			levels[u.Level]++
			d, n := want(code)
			if n == 0 {
				// Without an inventory a unit has no denominator; a commune
				// still shows what it digitized.
				if u.Level == catalog.LevelCommune {
					d = by2024[code]
				}
				if r.Total != 0 || r.Digitized != d || r.Status != progress.StatusNoInventory {
					t.Errorf("%s %s (no inventory) = %d/%d %s, want %d/— no_inventory", code, u.Name, r.Digitized, r.Total, r.Status, d)
				}
				continue
			}
			if r.Digitized != d || r.Total != n || r.Percent != math.Round(10000*float64(d)/float64(n))/100 {
				t.Errorf("%s %s = %d/%d (%.2f%%), want %d/%d", code, u.Name, r.Digitized, r.Total, r.Percent, d, n)
			}
		}
		if levels[catalog.LevelProvince] != 63 || levels[catalog.LevelDistrict] != 696 || levels[catalog.LevelCommune] != 10047 {
			t.Errorf("rows by level = %v, want 63 provinces, 696 districts, 10,047 communes", levels)
		}
		if len(rep.Unassigned) != 0 {
			t.Errorf("unassigned = %+v, want none: every code is in force", rep.Unassigned)
		}
	})

	t.Run("2025 follows the merge list", func(t *testing.T) {
		rep, err := progress.Build(ctx, db, 2025, time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		rows := rowsByUnit(rep)
		unassigned := map[string]progress.Unassigned{}
		for _, u := range rep.Unassigned {
			if u.Scheme != catalog.Scheme2024 || u.Reason != progress.ReasonPartial {
				t.Errorf("unassigned %+v, want only old communes split between new ones", u)
			}
			unassigned[u.Unit] = u
		}
		// What each new commune is owed: its own records, and those of
		// every old commune merged whole into it.
		owed := map[string]int{}
		for code, n := range new2025 {
			owed[code] += n
		}
		full, partial := 0, 0
		for code, n := range by2025 {
			links := byOld[code]
			if len(links) == 1 && links[0].Full {
				owed[links[0].New] += n
				full++
				continue
			}
			partial++
			var cands []string
			for _, m := range links {
				cands = append(cands, m.New)
			}
			slices.Sort(cands)
			u, ok := unassigned[code]
			if !ok || u.Count != n || !slices.Equal(u.Candidates, cands) {
				t.Errorf("old commune %s (%d links) unassigned as %+v, want %d records, candidates %v", code, len(links), u, n, cands)
			}
		}
		if full < 1000 || partial < 100 || len(unassigned) != partial {
			t.Errorf("%d old communes merged whole, %d split, %d unassigned: the merge list is not exercised", full, partial, len(unassigned))
		}
		for code, u := range units[catalog.Scheme2025] {
			if u.Level != catalog.LevelCommune {
				continue
			}
			r, ok := rows[code]
			if !ok || r.Digitized != owed[code] {
				t.Errorf("new commune %s %s = %+v, want %d digitized", code, u.Name, r, owed[code])
			}
		}
		// A province of 2025 adds up its communes, over those with an
		// inventory.
		for code, u := range units[catalog.Scheme2025] {
			if u.Level != catalog.LevelProvince {
				continue
			}
			d, n := 0, 0
			for _, c := range children[catalog.Scheme2025][code] {
				if h, ok := held[catalog.Scheme2025][c]; ok {
					d, n = d+owed[c], n+h
				}
			}
			if r := rows[code]; r.Digitized != d || r.Total != n {
				t.Errorf("province %s %s = %d/%d, want its communes' %d/%d", code, u.Name, r.Digitized, r.Total, d, n)
			}
		}
		// Quảng Ngãi's Tịnh Phong (21181) absorbed Tịnh Thọ (21175) whole
		// on 1 July 2025 and became Thọ Phong: both count there.
		if r := rows["21181"]; r.Digitized != new2025["21181"]+by2025["21181"]+by2025["21175"] {
			t.Errorf("21181 %s = %d digitized, want its own %d and 21175's %d", r.Name, r.Digitized, by2025["21181"], by2025["21175"])
		}
	})
}

// rowsByUnit returns the rows of rep's own scheme by code.
func rowsByUnit(rep progress.Report) map[string]progress.Row {
	out := map[string]progress.Row{}
	for _, r := range rep.Rows {
		if r.Level != catalog.LevelDistrict || rep.Scheme == catalog.Scheme2024 {
			out[r.Unit] = r
		}
	}
	return out
}
