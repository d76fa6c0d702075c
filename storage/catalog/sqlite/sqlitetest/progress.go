package sqlitetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// Progress says what to seed: the real unit catalogues, a counts
// inventory for Year for every commune of the 2024 catalogue, and Records
// records spread unevenly over those communes, most of them digitized at a
// time between 1 January of FirstYear and 31 December of Year, the rest
// needs_review, failed or duplicate. Year is before 2025: the communes are
// those of the catalogue in force until 30 June 2025, and every record is
// ingested while it was.
type Progress struct {
	Records   int
	FirstYear int
	Year      int
	// Seed makes the catalog the same from run to run.
	Seed uint64
}

// Seeded is what SeedProgress wrote, to check a report against.
type Seeded struct {
	Communes int
	Records  int
	// Digitized counts the digitized records, In those digitized in Year.
	Digitized, In int
	// Total is the sum of the communes' inventories.
	Total int
	// ByCommune is each commune's digitized records and inventory.
	ByCommune map[string][2]int
	Took      time.Duration
}

// record is one seeded record, before it is written.
type record struct {
	commune int32
	status  catalog.Status
	at      int64 // unix seconds: created, updated and (if digitized) digitized
}

// SeedProgress creates the catalog file at path (which must not exist)
// and fills it as p says.
func SeedProgress(ctx context.Context, path string, p Progress) (Seeded, error) {
	start := time.Now()
	if p.Records < 0 || p.FirstYear > p.Year || p.Year >= catalog.Reorganised.Year() {
		return Seeded{}, fmt.Errorf("seed %s: %d records over %d–%d is no plan", path, p.Records, p.FirstYear, p.Year)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return Seeded{}, fmt.Errorf("seed %s: the file exists (or cannot be looked at: %v)", path, err)
	}
	cat, err := dvhc.Load()
	if err != nil {
		return Seeded{}, err
	}
	var communes []string
	for _, u := range cat.Units {
		if u.Scheme == catalog.Scheme2024 && u.Level == catalog.LevelCommune {
			communes = append(communes, u.Code)
		}
	}
	sort.Strings(communes)

	rng := rand.New(rand.NewPCG(p.Seed, 2024))
	// Communes differ: a weight from 0.2 to 1.8, and one in thirty has
	// started nothing yet.
	cum := make([]float64, len(communes))
	sum := 0.0
	for i := range communes {
		w := 0.2 + 1.6*rng.Float64()
		if rng.IntN(30) == 0 {
			w = 0
		}
		sum += w
		cum[i] = sum
	}
	from := time.Date(p.FirstYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	until := time.Date(p.Year+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	yearStart := time.Date(p.Year, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	recs := make([]record, p.Records)
	s := Seeded{Communes: len(communes), Records: p.Records, ByCommune: map[string][2]int{}}
	digitized := make([]int, len(communes))
	for i := range recs {
		c := sort.SearchFloat64s(cum, rng.Float64()*sum)
		r := record{commune: int32(min(c, len(communes)-1)), status: catalog.StatusDigitized, at: from + rng.Int64N(until-from)}
		switch n := rng.IntN(100); {
		case n < 5:
			r.status = catalog.StatusNeedsReview
		case n < 8:
			r.status = catalog.StatusFailed
		case n < 10:
			r.status = catalog.StatusDuplicate
		}
		if r.status == catalog.StatusDigitized {
			digitized[r.commune]++
			s.Digitized++
			if r.at >= yearStart {
				s.In++
			}
		}
		recs[i] = r
	}
	// Ids grow with time, as they do when clerks ingest: the records of a
	// commune are spread over the whole table.
	sort.Slice(recs, func(i, j int) bool { return recs[i].at < recs[j].at })

	// Each commune holds more than it has digitized: from 40% done to all.
	invs := make([]catalog.Inventory, len(communes))
	for i, code := range communes {
		held := 20 + rng.IntN(200)
		if digitized[i] > 0 {
			held = int(float64(digitized[i]) / (0.4 + 0.6*rng.Float64()))
		}
		invs[i] = catalog.Inventory{Unit: code, Year: p.Year, Counts: []catalog.InventoryCount{{Unit: code, Year: p.Year, Count: held}}}
		s.Total += held
		s.ByCommune[code] = [2]int{digitized[i], held}
	}

	if err := writeRegistry(ctx, path, cat, invs); err != nil {
		return s, err
	}
	err = InsertRecords(ctx, path, func(yield func(Record) bool) {
		for i, r := range recs {
			id := int64(i + 1)
			at := time.Unix(r.at, 0).UTC()
			rec := Record{Unit: communes[r.commune], Status: r.status, Created: at,
				Number: fmt.Sprintf("%d/QĐ-UBND", id%997+1), Issued: at.AddDate(0, 0, -int(id%90)).Format(time.DateOnly)}
			if r.status == catalog.StatusDuplicate && id > 1 {
				rec.DuplicateOf = id - 1
			}
			if !yield(rec) {
				return
			}
		}
	})
	if err != nil {
		return s, err
	}
	s.Took = time.Since(start)
	return s, nil
}

// writeRegistry creates the catalog and loads the units and inventories
// through the catalog's own API.
func writeRegistry(ctx context.Context, path string, cat dvhc.Catalogue, invs []catalog.Inventory) (err error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := db.ReplaceUnits(ctx, cat.Units, cat.Merges, catalog.Event{Actor: "sqlitetest", Action: "units_import"}); err != nil {
		return err
	}
	return db.ReplaceInventory(ctx, invs, catalog.Event{Actor: "sqlitetest", Action: "inventory_import"})
}

// Check compares a report of the seeded year, as of its last day, with
// what was seeded: every commune row it has, its digitized and total
// counts, and, when it has the province rows, that they add up to the
// whole. Unassigned records are an error: every seeded one has a commune.
func (s Seeded) Check(rep progress.Report) error {
	var errs []error
	communes, provinces, digitized, total := 0, 0, 0, 0
	for _, r := range rep.Rows {
		switch r.Level {
		case catalog.LevelCommune:
			communes++
			want, ok := s.ByCommune[r.Unit]
			if !ok || r.Digitized != want[0] || r.Total != want[1] {
				errs = append(errs, fmt.Errorf("commune %s: %d/%d, seeded %d/%d", r.Unit, r.Digitized, r.Total, want[0], want[1]))
			}
		case catalog.LevelProvince:
			provinces++
			digitized += r.Digitized
			total += r.Total
		}
	}
	if communes != 0 && communes != s.Communes {
		errs = append(errs, fmt.Errorf("%d commune rows, seeded %d communes", communes, s.Communes))
	}
	if provinces != 0 && (digitized != s.Digitized || total != s.Total) {
		errs = append(errs, fmt.Errorf("the provinces add up to %d/%d, seeded %d/%d", digitized, total, s.Digitized, s.Total))
	}
	if communes+provinces == 0 {
		errs = append(errs, errors.New("no commune or province rows"))
	}
	if len(rep.Unassigned) != 0 {
		errs = append(errs, fmt.Errorf("%d unassigned, seeded none: %+v", len(rep.Unassigned), rep.Unassigned))
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("and %d more", len(errs)-10))
	}
	return errors.Join(errs...)
}
