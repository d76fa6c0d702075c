package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/pipeline/fixity"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/storagetest"
)

// TestFixityShown alters a stored original on disk, lets the verifier
// find it, and reads the dashboard: the page raises the alarm and names
// the object, /api/fixity lists it, /metrics counts it.
func TestFixityShown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objects, err := local.Open(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 3 {
		content := storagetest.Content(uint64(i), 1000)
		sum := storagetest.Sum(content)
		storagetest.Put(t, objects, storage.OriginalKey(sum), content, "")
		if _, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: sum[:8], SHA256: sum,
			Size: 1000, Original: storage.OriginalKey(sum)}, false); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, storage.OriginalKey(sum))
	}
	d, err := New(Config{Source: db, Objects: objects, Fixity: db, Now: func() time.Time { return now },
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
			s, err := db.Stats(ctx)
			return s.Records, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()

	_, metrics := get(t, srv.URL+"/metrics")
	if !strings.Contains(metrics, `sohoa_fixity_objects{result="unverified"} 3`) ||
		!strings.Contains(metrics, "sohoa_fixity_last_pass_timestamp_seconds 0") {
		t.Errorf("/metrics before any check:\n%s", fixityLines(metrics, "sohoa_fixity"))
	}

	v, err := fixity.New(fixity.Config{Catalog: db, Objects: objects, OrphanGrace: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Verify(ctx, fixity.Selection{All: true}, nil); err != nil || !rep.Clean() {
		t.Fatalf("first pass: %+v, %v", rep, err)
	}
	_, page := get(t, srv.URL+"/")
	if !strings.Contains(page, `id="fixity"`) || strings.Contains(page, `id="fixity-alarm"`) {
		t.Errorf("page after a clean pass: fixity section missing or alarm raised\n%s", fixitySection(page, `id="fixity"`))
	}

	altered := keys[1]
	if err := os.WriteFile(filepath.Join(objects.Dir(), filepath.FromSlash(altered)), []byte("sửa trộm / tampered"), 0o640); err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Verify(ctx, fixity.Selection{All: true}, nil); err != nil || rep.Altered != 1 {
		t.Fatalf("second pass: %+v, %v", rep, err)
	}

	_, metrics = get(t, srv.URL+"/metrics")
	for _, want := range []string{`sohoa_fixity_objects{result="altered"} 1`, `sohoa_fixity_objects{result="ok"} 2`,
		`sohoa_fixity_objects{result="missing"} 0`, `sohoa_fixity_objects{result="unverified"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, fixityLines(metrics, "sohoa_fixity"))
		}
	}
	if strings.Contains(metrics, "sohoa_fixity_last_pass_timestamp_seconds 0\n") {
		t.Errorf("/metrics: no last pass time after two passes")
	}

	code, page := get(t, srv.URL+"/")
	sec := fixitySection(page, `id="fixity"`)
	if code != http.StatusServiceUnavailable && code != http.StatusOK {
		t.Errorf("page: %d", code)
	}
	if !strings.Contains(sec, `id="fixity-alarm"`) || !strings.Contains(sec, altered) || !strings.Contains(sec, "bị thay đổi / altered") {
		t.Errorf("page does not show the altered object %s:\n%s", altered, sec)
	}

	code, body := get(t, srv.URL+"/api/fixity")
	var sum catalog.FixitySummary
	if err := json.Unmarshal([]byte(body), &sum); err != nil || code != http.StatusOK {
		t.Fatalf("/api/fixity: %d, %v\n%s", code, err, body)
	}
	if len(sum.Problems) != 1 || sum.Problems[0].Key != altered || sum.Problems[0].Result != catalog.FixityAltered ||
		len(sum.Problems[0].Records) != 1 || sum.Problems[0].Records[0] != 2 {
		t.Errorf("/api/fixity problems: %+v", sum.Problems)
	}
}

// TestNoFixityWithoutSource: a dashboard given no fixity source shows no
// section and serves no /api/fixity.
func TestNoFixityWithoutSource(t *testing.T) {
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
	if _, page := get(t, srv.URL+"/"); strings.Contains(page, `id="fixity"`) {
		t.Error("page shows a fixity section with no source")
	}
	if code, _ := get(t, srv.URL+"/api/fixity"); code != http.StatusNotFound {
		t.Errorf("/api/fixity with no source: %d, want 404", code)
	}
}

func fixitySection(page, marker string) string {
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func fixityLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
