package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// TestSeedProgressAgreesWithBuild seeds a small catalog and checks the
// report of its year against what was seeded, then that Check notices a
// report that is off by one record.
func TestSeedProgressAgreesWithBuild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	seeded, err := SeedProgress(ctx, path, Progress{Records: 20_000, FirstYear: 2021, Year: 2024, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if seeded.Digitized < 17_000 || seeded.Digitized > 19_000 || seeded.In == 0 || seeded.In >= seeded.Digitized {
		t.Errorf("seeded %+v: want about 90%% of 20,000 digitized, a quarter of them in 2024", seeded)
	}
	if _, err := SeedProgress(ctx, path, Progress{Records: 1, FirstYear: 2024, Year: 2024}); err == nil {
		t.Error("SeedProgress over an existing file: no error")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := progress.Build(ctx, db, 2024, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := seeded.Check(rep); err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Rows {
		if r.Level == catalog.LevelCommune && r.Digitized > 0 {
			rep.Rows[i].Digitized--
			break
		}
	}
	if err := seeded.Check(rep); err == nil {
		t.Error("Check passed a report one record short")
	}
}
