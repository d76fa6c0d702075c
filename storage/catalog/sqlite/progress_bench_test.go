package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/catalog/sqlite/sqlitetest"
)

// BenchmarkProgressMillion measures issue #3's figure: the commune report
// of 2024 (`sohoa progress --level commune --year 2024 --json`, less the
// process around it) over the real catalogue of 10,047 communes, each
// with an inventory, and 1,000,000 records. The catalog is seeded once
// per run; the sub-benchmarks take it apart: the SQL count alone, Build,
// and Build with the filter and the JSON the command prints.
func BenchmarkProgressMillion(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "catalog.db")
	seeded := sqlitetest.SeedMillion(b, path)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const year = 2024
	asOf := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)

	// The report must be right before its speed means anything.
	rep, err := progress.Build(ctx, db, year, asOf)
	if err != nil {
		b.Fatal(err)
	}
	if err := seeded.Check(rep); err != nil {
		b.Fatal(err)
	}

	b.Run("DigitizedCounts", func(b *testing.B) {
		from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		for b.Loop() {
			if _, err := db.DigitizedCounts(ctx, from, asOf.AddDate(0, 0, 1)); err != nil {
				b.Fatal(err)
			}
		}
		reportMS(b)
	})
	b.Run("Build", func(b *testing.B) {
		for b.Loop() {
			if _, err := progress.Build(ctx, db, year, asOf); err != nil {
				b.Fatal(err)
			}
		}
		reportMS(b)
	})
	b.Run("BuildFilterJSON", func(b *testing.B) {
		for b.Loop() {
			rep, err := progress.Build(ctx, db, year, asOf)
			if err != nil {
				b.Fatal(err)
			}
			rep.Rows = progress.Filter(rep.Rows, "", catalog.LevelCommune, false)
			enc := json.NewEncoder(io.Discard)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(rep); err != nil {
				b.Fatal(err)
			}
		}
		ms := reportMS(b)
		fmt.Printf("progress.Build + Filter(commune) + JSON for %d over %s records: %.0f ms (target < 1000 ms)\n",
			year, sqlitetest.Thousands(seeded.Records), ms)
	})
}

// reportMS reports and returns the milliseconds per operation.
func reportMS(b *testing.B) float64 {
	ms := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "ms/op")
	return ms
}
