package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/catalog/sqlite/sqlitetest"
)

// BenchmarkDashboardMillion measures issue #3's second figure: the
// dashboard's overview of 2024 (GET /?year=2024, the page IT staff open
// first) over the real catalogue of 10,047 communes, each with an
// inventory, and 1,000,000 records; the target is under 300 ms. Beside it,
// /api/progress?year=2024&level=commune, the JSON of every commune. The
// catalog is seeded once per run and served by the dashboard's handler on
// a loopback port. Each address is timed three ways: the first request
// (the report built), again with the catalog unchanged (the report kept),
// and after a record was digitized (built again: what IT staff see while
// ingest runs). The figure to hold to the target is the slower of the
// first and the last.
func BenchmarkDashboardMillion(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "catalog.db")
	seeded := sqlitetest.SeedMillion(b, path)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	d, err := New(Config{Source: db, StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
		s, err := db.Stats(ctx)
		return s.Records, err
	}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()

	const year = 2024
	asOf := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	// want is what the answers must show: a Build of the same query, made
	// apart from the dashboard.
	want := func(b *testing.B) progress.Report {
		b.Helper()
		rep, err := progress.Build(ctx, db, year, asOf)
		if err != nil {
			b.Fatal(err)
		}
		return rep
	}
	rep := want(b)
	if err := seeded.Check(rep); err != nil {
		b.Fatal(err)
	}
	// digitize adds a record digitized on the last day of the year, so
	// every figure up the hierarchy of its commune changes.
	bat, err := db.OpenBatch(ctx, catalog.Batch{Unit: rep.Rows[len(rep.Rows)-1].Unit, Key: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	added := 0
	digitize := func(b *testing.B) {
		b.Helper()
		added++
		at := asOf.Add(12 * time.Hour)
		if _, err := db.AddRecord(ctx, catalog.Record{BatchID: bat.ID, Unit: bat.Unit, Source: fmt.Sprintf("bench-%d.pdf", added),
			Status: catalog.StatusDigitized, Pages: 1, CreatedAt: at, UpdatedAt: at}, false); err != nil {
			b.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name, path string
		check      func(b *testing.B, body string, rep progress.Report)
	}{
		{"overview", "/?year=2024", checkOverview},
		{"communes", "/api/progress?year=2024&level=commune", func(b *testing.B, body string, rep progress.Report) {
			b.Helper()
			if want := cliJSON(b, filtered(rep, query{level: catalog.LevelCommune})); body != want {
				b.Fatalf("/api/progress differs from Build+Filter:\n got %.300s\nwant %.300s", body, want)
			}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fetch := func(b *testing.B) (time.Duration, string) {
				b.Helper()
				start := time.Now()
				code, body := get(b, srv.URL+tc.path)
				took := time.Since(start)
				if code != http.StatusOK {
					b.Fatalf("GET %s: %d\n%.500s", tc.path, code, body)
				}
				return took, body
			}
			// The first request of the overview is the first after the
			// dashboard starts; the API's comes after the overview's, with
			// a record digitized in between, so it too builds its report.
			if tc.name != "overview" {
				digitize(b)
				rep = want(b)
			}
			first, body := fetch(b)
			tc.check(b, body, rep)
			var steady, changed time.Duration
			for b.Loop() {
				took, body := fetch(b)
				steady += took
				tc.check(b, body, rep)

				b.StopTimer()
				digitize(b)
				rep = want(b)
				b.StartTimer()
				took, body = fetch(b)
				changed += took
				tc.check(b, body, rep)
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			n := float64(b.N)
			b.ReportMetric(ms(first), "first-ms")
			b.ReportMetric(ms(steady)/n, "steady-ms")
			b.ReportMetric(ms(changed)/n, "changed-ms")
			what := map[string]string{"overview": "dashboard overview (GET /?year=2024)",
				"communes": "dashboard communes (GET /api/progress?year=2024&level=commune)"}[tc.name]
			target := map[string]string{"overview": "target < 300 ms", "communes": "target < 1000 ms"}[tc.name]
			fmt.Printf("%s over %s records: first request %.0f ms, steady %.0f ms, after a record is digitized %.0f ms (%s)\n",
				what, sqlitetest.Thousands(seeded.Records), ms(first), ms(steady)/n, ms(changed)/n, target)
		})
	}
}

// checkOverview fails b unless the overview page shows rep's figures:
// each level's counts, and each province's row.
func checkOverview(b *testing.B, body string, rep progress.Report) {
	b.Helper()
	levels := levelSummaries(rep.Rows)
	if len(levels) != 3 {
		b.Fatalf("the report of 2024 sums %d levels, want province, district and commune", len(levels))
	}
	for _, s := range levels {
		card := fmt.Sprintf(`id="level-%s" data-percent="%v" data-target="%v"`, s.Level, s.Percent, s.Target)
		counts := fmt.Sprintf("%d/%d kết quả · %d đơn vị (units): %d chậm, %d kịp, %d đạt, %d chưa có số liệu",
			s.Digitized, s.Total, s.Units, s.Behind, s.OnTrack, s.Met, s.NoInventory)
		i := strings.Index(body, card)
		if i < 0 || !strings.Contains(body[i:], counts) {
			b.Fatalf("the overview lacks the %s card %s with %q", s.Level, card, counts)
		}
	}
	provinces := progress.Filter(rep.Rows, "", catalog.LevelProvince, false)
	shown := regexp.MustCompile(`<tr data-unit="(\d+)"`).FindAllStringSubmatch(body, -1)
	if len(shown) != len(provinces) {
		b.Fatalf("the overview lists %d units, want the %d provinces", len(shown), len(provinces))
	}
	for _, p := range provinces {
		row := regexp.MustCompile(`(?s)<tr data-unit="` + p.Unit + `".*?</tr>`).FindString(body)
		if !strings.Contains(row, fmt.Sprintf(`<td class="n counts">%d/%d</td>`, p.Digitized, p.Total)) {
			b.Fatalf("province %s: the overview's row\n%s\nwant %d/%d", p.Unit, row, p.Digitized, p.Total)
		}
	}
}
