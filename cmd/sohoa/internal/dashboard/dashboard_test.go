package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	"sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// now is the dashboard's clock in these tests: mid-2026, after the 2025
// reorganisation, so the year's units are the new ones.
var now = time.Date(2026, 6, 15, 10, 30, 0, 0, time.UTC)

var (
	dvhcOnce sync.Once
	dvhcCat  dvhc.Catalogue
	dvhcErr  error
)

// seeded is a catalog of the real unit catalogues with a few records:
// commune 21181 (Xã Tịnh Phong until 30 June 2025, Xã Thọ Phong after,
// which absorbed Xã Tịnh Thọ 21175 whole) and commune 21100.
type seeded struct {
	db  *sqlite.DB
	srv *httptest.Server
}

func seed(t *testing.T) seeded {
	t.Helper()
	ctx := context.Background()
	dvhcOnce.Do(func() { dvhcCat, dvhcErr = dvhc.Load() })
	if dvhcErr != nil {
		t.Fatal(dvhcErr)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.ReplaceUnits(ctx, dvhcCat.Units, dvhcCat.Merges, catalog.Event{Actor: "test", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Key: "t"})
	if err != nil {
		t.Fatal(err)
	}
	add := func(unit string, status catalog.Status, at time.Time, pages int, enqueue bool) catalog.Record {
		t.Helper()
		r, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: unit, Source: fmt.Sprintf("%s-%d.pdf", unit, at.UnixNano()),
			Status: status, Pages: pages, CreatedAt: at, UpdatedAt: at, Error: map[catalog.Status]string{catalog.StatusFailed: "tệp hỏng: quét lại"}[status]}, enqueue)
		if err != nil {
			t.Fatal(err)
		}
		if status.Final() {
			if err := db.AppendEvent(ctx, catalog.Event{At: at, Actor: "sohoa", Action: "index", RecordID: r.ID}); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	add("21181", catalog.StatusDigitized, time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC), 1, false) // old Xã Tịnh Phong, in 2024
	add("21175", catalog.StatusDigitized, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), 1, false) // old Xã Tịnh Thọ, whole into 21181
	for i := range 3 {
		add("21181", catalog.StatusDigitized, now.Add(-time.Duration(i+1)*time.Hour), 2, false)
	}
	add("21100", catalog.StatusDigitized, now.Add(-30*time.Minute), 5, false)
	add("21181", catalog.StatusNeedsReview, now.Add(-20*time.Minute), 3, false)
	add("21181", catalog.StatusFailed, now.Add(-10*time.Minute), 1, false)
	add("21181", catalog.StatusQueued, now, 0, true)

	invs := []catalog.Inventory{
		{Unit: "21181", Year: 2024, Counts: []catalog.InventoryCount{{Unit: "21181", Year: 2024, Count: 4}}},
		{Unit: "21181", Year: 2026, Counts: []catalog.InventoryCount{{Unit: "21181", Year: 2026, Count: 10}}},
		{Unit: "21100", Year: 2026, Counts: []catalog.InventoryCount{{Unit: "21100", Year: 2026, Count: 20}}},
	}
	for _, inv := range invs {
		if err := db.ReplaceInventory(ctx, []catalog.Inventory{inv}, catalog.Event{Actor: "test", Action: "inventory_import"}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := New(Config{
		Source: db,
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
			s, err := db.Stats(ctx)
			return s.Records, err
		},
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return seeded{db: db, srv: srv}
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// cliJSON encodes v as `sohoa progress --json` does.
func cliJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestProgressAPIIsBuildAndFilter(t *testing.T) {
	t.Parallel()
	s := seed(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, params string
		year         int
		unit         string
		level        catalog.Level
		behind       bool
	}{
		{"everything this year", "", 2026, "", "", false},
		{"one province", "unit=51", 2026, "51", "", false},
		{"one commune", "unit=21181&year=2026", 2026, "21181", "", false},
		{"communes behind", "level=xa&behind=true", 2026, "", catalog.LevelCommune, true},
		{"districts of 2024", "year=2024&level=district", 2024, "", catalog.LevelDistrict, false},
		{"the old commune in 2024", "year=2024&unit=21181", 2024, "21181", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := progress.Build(ctx, s.db, tc.year, progress.DefaultAsOf(tc.year, now))
			if err != nil {
				t.Fatal(err)
			}
			rep.Rows = progress.Filter(rep.Rows, tc.unit, tc.level, tc.behind)
			if rep.Unassigned == nil {
				rep.Unassigned = []progress.Unassigned{}
			}
			code, body := get(t, s.srv.URL+"/api/progress?"+tc.params)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if want := cliJSON(t, rep); body != want {
				t.Errorf("/api/progress?%s differs from Build+Filter:\n got %.400s\nwant %.400s", tc.params, body, want)
			}
			if len(rep.Rows) == 0 {
				t.Errorf("the case selects no rows: it tests nothing")
			}
		})
	}

	// The figures the seed makes: 3 records of 21181 this year and 2
	// before (one of them of Xã Tịnh Thọ, merged whole), of 10 held.
	var rep progress.Report
	_, body := get(t, s.srv.URL+"/api/progress?unit=21181")
	if err := json.Unmarshal([]byte(body), &rep); err != nil || len(rep.Rows) != 1 {
		t.Fatalf("unit=21181: %v\n%s", err, body)
	}
	// The 2024 record was of old Xã Tịnh Phong, which merged whole too.
	if r := rep.Rows[0]; r.Name != "Xã Thọ Phong" || r.Digitized != 5 || r.Total != 10 || r.Percent != 50 {
		t.Errorf("21181 in 2026 = %+v, want Xã Thọ Phong 5/10", r)
	}

	for _, bad := range []string{"year=abc", "year=2999", "level=village", "behind=maybe", "as_of=2025-01-01", "unit=99999"} {
		code, body := get(t, s.srv.URL+"/api/progress?"+bad)
		want := http.StatusBadRequest
		if bad == "unit=99999" {
			want = http.StatusNotFound
		}
		var e apiError
		if code != want || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("/api/progress?%s: %d %s, want %d with an error", bad, code, body, want)
		}
	}
}

func TestUnitSearchIgnoresAccents(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, tc := range []struct {
		q, year  string
		wantName string
		wantCode string
		wantYear int
	}{
		{"Tinh Phong", "", "Xã Tịnh Phong", "21181", 2024},
		{"TỊNH   phong", "2024", "Xã Tịnh Phong", "21181", 2024},
		{"tho phong", "", "Xã Thọ Phong", "21181", 2026},
		{"quang ngai", "", "Tỉnh Quảng Ngãi", "51", 2026},
		{"dak lak", "", "Tỉnh Đắk Lắk", "66", 2026}, // đ folds to d
	} {
		code, body := get(t, s.srv.URL+"/api/units?q="+strings.ReplaceAll(tc.q, " ", "+")+"&year="+tc.year)
		var ms []UnitMatch
		if code != http.StatusOK || json.Unmarshal([]byte(body), &ms) != nil {
			t.Fatalf("q=%q: %d %s", tc.q, code, body)
		}
		// The same name may be in both catalogues: the first is the one
		// to look at in the year asked for.
		found := false
		for _, m := range ms {
			if m.Name == tc.wantName && m.Code == tc.wantCode {
				found = true
				if m.Year != tc.wantYear {
					t.Errorf("q=%q: %s to be viewed in %d, want %d", tc.q, m.Name, m.Year, tc.wantYear)
				}
				break
			}
		}
		if !found {
			t.Errorf("q=%q found %+v, want %s (%s)", tc.q, ms, tc.wantName, tc.wantCode)
		}
	}
	if code, _ := get(t, s.srv.URL+"/api/units"); code != http.StatusBadRequest {
		t.Errorf("/api/units without q: %d, want 400", code)
	}
	// The page searches the same way.
	if code, body := get(t, s.srv.URL+"/?q=tinh+phong"); code != http.StatusOK || !strings.Contains(body, "Xã Tịnh Phong") {
		t.Errorf("page search: %d, no Xã Tịnh Phong", code)
	}
}

func TestHealthAndHistory(t *testing.T) {
	t.Parallel()
	s := seed(t)
	var h Health
	code, body := get(t, s.srv.URL+"/api/health")
	if code != http.StatusOK || json.Unmarshal([]byte(body), &h) != nil {
		t.Fatalf("/api/health: %d %s", code, body)
	}
	// Finished in the last 24 hours: three of 2 pages, one of 5, one of
	// 3 (needs review) and one of 1 (failed).
	if h.Queue != 1 || h.PagesLast24h != 15 || h.RecordsLast24h != 6 || h.Failed != 1 || h.NeedsReview != 1 || len(h.Hours) != 24 || len(h.Attention) != 2 {
		t.Errorf("health = queue %d, %d pages of %d records, %d failed, %d to review, %d hours, %d listed",
			h.Queue, h.PagesLast24h, h.RecordsLast24h, h.Failed, h.NeedsReview, len(h.Hours), len(h.Attention))
	}
	if last := h.Hours[len(h.Hours)-1]; !last.Hour.Equal(now.Truncate(time.Hour)) || last.Pages != 5+3+1 {
		t.Errorf("the current hour = %+v, want 9 pages at %s", last, now.Truncate(time.Hour))
	}

	var hist History
	code, body = get(t, s.srv.URL+"/api/history?unit=21181")
	if code != http.StatusOK || json.Unmarshal([]byte(body), &hist) != nil {
		t.Fatalf("/api/history: %d %s", code, body)
	}
	if len(hist.Years) != 2026-2021+1 || hist.Years[0].Year != 2021 {
		t.Fatalf("history years = %+v, want 2021…2026", hist.Years)
	}
	byYear := map[int]YearPoint{}
	for _, p := range hist.Years {
		byYear[p.Year] = p
		if p.Target == nil {
			t.Errorf("%d has no target", p.Year)
		}
	}
	if p := byYear[2024]; p.Percent == nil || *p.Percent != 25 || p.Name != "Xã Tịnh Phong" || *p.Target != 75 {
		t.Errorf("2024 = %+v, want Xã Tịnh Phong 1/4 = 25%% of 75%%", p)
	}
	if p := byYear[2026]; p.Percent == nil || *p.Percent != 50 || p.Name != "Xã Thọ Phong" || *p.Target != 100 {
		t.Errorf("2026 = %+v, want Xã Thọ Phong 50%% of 100%%", p)
	}
	if p := byYear[2023]; p.Percent != nil {
		t.Errorf("2023 had no inventory but percent %v", *p.Percent)
	}
	if code, _ := get(t, s.srv.URL+"/api/history?unit=99999"); code != http.StatusNotFound {
		t.Errorf("history of no unit: %d, want 404", code)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := seed(t)
	code, body := get(t, s.srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	rep, err := progress.Build(context.Background(), s.db, 2026, progress.DefaultAsOf(2026, now))
	if err != nil {
		t.Fatal(err)
	}
	var dig, tot int
	for _, r := range rep.Rows {
		if r.Level == catalog.LevelCommune && r.Total > 0 {
			dig, tot = dig+r.Digitized, tot+r.Total
		}
	}
	communes := strconv.FormatFloat(round2(100*float64(dig)/float64(tot)), 'g', -1, 64)
	for _, want := range []string{
		"sohoa_pages_processed_total 17", // every index event, old ones too
		"sohoa_queue_depth 1",
		`sohoa_records_needing_attention{status="failed"} 1`,
		`sohoa_records_needing_attention{status="needs_review"} 1`,
		`sohoa_records{status="digitized"} 6`,
		`sohoa_progress_percent{level="commune",year="2026"} ` + communes,
		`sohoa_progress_target_percent{level="province",year="2026"} 100`,
		"go_goroutines",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$|^` + regexp.QuoteMeta(want) + `\s`).MatchString(body) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if dig != 6 || tot != 30 {
		t.Errorf("communes this year: %d/%d, want 6/30 (21181 5/10, 21100 1/20)", dig, tot)
	}
}

func TestPagesAndRoutes(t *testing.T) {
	t.Parallel()
	s := seed(t)
	for _, tc := range []struct {
		path string
		code int
		has  string
	}{
		{"/", http.StatusOK, "Tiến độ số hóa"},
		{"/?unit=51", http.StatusOK, "Xã Thọ Phong"},
		{"/?unit=21181", http.StatusOK, `id="unit-percent">50.0%`},
		{"/?year=2024&unit=527", http.StatusOK, "Xã Tịnh Phong"},
		{"/?level=commune&behind=1", http.StatusOK, "Xã Thọ Phong"},
		{"/?unit=99999", http.StatusNotFound, "không có đơn vị 99999"},
		{"/?year=soon", http.StatusBadRequest, "không hợp lệ"},
		{"/static/chart.umd.min.js", http.StatusOK, "Chart.js v4.6.1"},
		{"/static/dashboard.js", http.StatusOK, "history-chart"},
		{"/nope", http.StatusNotFound, ""},
		{"/api/nope", http.StatusNotFound, ""},
		{"/static/nope.js", http.StatusNotFound, ""},
		{"/static/page.html", http.StatusNotFound, ""}, // the template is not served
	} {
		code, body := get(t, s.srv.URL+tc.path)
		if code != tc.code || !strings.Contains(body, tc.has) {
			t.Errorf("GET %s: %d, want %d with %q\n%.300s", tc.path, code, tc.code, tc.has, body)
		}
	}
	resp, err := http.Post(s.srv.URL+"/api/progress", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/progress: %d, want 405", resp.StatusCode)
	}
}

func TestPageWithoutUnitsSaysWhatToDo(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := New(Config{Source: db, StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
		s, err := db.Stats(ctx)
		return s.Records, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	if code, body := get(t, srv.URL+"/"); code != http.StatusServiceUnavailable || !strings.Contains(body, "sohoa units import") {
		t.Errorf("page with no units: %d\n%.500s", code, body)
	}
	if code, body := get(t, srv.URL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "sohoa_queue_depth 0") {
		t.Errorf("/metrics with no units: %d\n%.500s", code, body)
	}
}
