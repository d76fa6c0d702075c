package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// countingSource is the catalog, counting the passes over the digitized
// records that building a report makes.
type countingSource struct {
	*sqlite.DB
	counts atomic.Int64
}

func (s *countingSource) DigitizedCounts(ctx context.Context, from, until time.Time) ([]catalog.DigitizedCount, error) {
	s.counts.Add(1)
	return s.DB.DigitizedCounts(ctx, from, until)
}

// TestReportsFollowTheCatalog changes the catalog in every way a report
// depends on, through the dashboard's own handle and through another
// (as another process would), and checks that the page and the API show
// each change at once, as a fresh progress.Build does, while a report is
// built only when something changed.
func TestReportsFollowTheCatalog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := seed(t)
	src := &countingSource{DB: s.db}
	d, err := New(Config{Source: src, StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
		st, err := s.db.Stats(ctx)
		return st.Records, err
	}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()

	// check compares unit 21181 this year, on the API and the page, with
	// a Build of its own (over the catalog, not src, so not counted).
	check := func(step string, digitized, total int, counts int64) progress.Row {
		t.Helper()
		rep, err := progress.Build(ctx, s.db, now.Year(), progress.DefaultAsOf(now.Year(), now))
		if err != nil {
			t.Fatal(err)
		}
		rep = filtered(rep, query{unit: "21181"})
		if len(rep.Rows) != 1 || rep.Rows[0].Digitized != digitized || rep.Rows[0].Total != total {
			t.Fatalf("%s: Build has 21181 at %+v, want %d/%d", step, rep.Rows, digitized, total)
		}
		if code, body := get(t, srv.URL+"/api/progress?unit=21181"); code != http.StatusOK || body != cliJSON(t, rep) {
			t.Errorf("%s: /api/progress?unit=21181: %d, differs from Build:\n got %.400s\nwant %.400s", step, code, body, cliJSON(t, rep))
		}
		want := fmt.Sprintf(`id="unit-counts">%d/%d<`, digitized, total)
		if code, body := get(t, srv.URL+"/?unit=21181"); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: the page of 21181: %d, without %s", step, code, want)
		}
		if n := src.counts.Load(); n != counts {
			t.Errorf("%s: %d passes over the digitized records so far, want %d", step, n, counts)
		}
		return rep.Rows[0]
	}
	b, err := s.db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Key: "reports"})
	if err != nil {
		t.Fatal(err)
	}
	digitize := func(db *sqlite.DB, source string) {
		t.Helper()
		if _, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: source,
			Status: catalog.StatusDigitized, Pages: 1, CreatedAt: now, UpdatedAt: now}, false); err != nil {
			t.Fatal(err)
		}
	}

	check("first", 5, 10, 1)
	check("nothing changed", 5, 10, 1)

	digitize(s.db, "a.pdf")
	check("a record digitized", 6, 10, 2)

	if err := s.db.ReplaceInventory(ctx, []catalog.Inventory{{Unit: "21181", Year: 2026,
		Counts: []catalog.InventoryCount{{Unit: "21181", Year: 2026, Count: 12}}}}, catalog.Event{Actor: "test", Action: "inventory_import"}); err != nil {
		t.Fatal(err)
	}
	check("an inventory imported", 6, 12, 3)

	other, err := sqlite.Open(ctx, s.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	digitize(other, "b.pdf")
	before := check("a record digitized by another process", 7, 12, 4)

	if err := other.SetSetting(ctx, progress.ScheduleSetting,
		`{"name":"tỉnh", "base_year":2021, "base":{"province":10, "district":10, "commune":10}, "step":10}`,
		catalog.Event{Actor: "test", Action: "targets_load"}); err != nil {
		t.Fatal(err)
	}
	if after := check("targets loaded by another process", 7, 12, 5); after.Target == before.Target {
		t.Errorf("the target stayed %v after loading a schedule", after.Target)
	}

	// Requests that arrive together while the catalog is unchanged share
	// one report.
	digitize(s.db, "c.pdf")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if code, body := get(t, srv.URL+"/api/progress?unit=21181"); code != http.StatusOK || !strings.Contains(body, `"digitized": 8,`) {
				t.Errorf("/api/progress?unit=21181 with 8 digitized: %d %.300s", code, body)
			}
		})
	}
	wg.Wait()
	check("requests together", 8, 12, 6)

	// The history reuses the year's report; the other years are built
	// once (2025 twice over: its districts end on 30 June).
	for _, want := range []int64{6 + 6, 6 + 6} {
		if code, body := get(t, srv.URL+"/api/history?unit=21181"); code != http.StatusOK || !strings.Contains(body, `"digitized": 8,`) {
			t.Errorf("/api/history?unit=21181: %d %.300s", code, body)
		}
		if n := src.counts.Load(); n != want {
			t.Errorf("after a history: %d passes over the digitized records, want %d", n, want)
		}
	}
}
