package dashboard

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/storage"
	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	evidencebag "sohoa/storage/evidence"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// downloadedBag is a bag fetched from /export.zip and kept as a file.
type downloadedBag struct {
	path string
	resp *http.Response
	// records are the record ids the bag holds, in order; originals
	// their original's bytes.
	records   []int64
	originals map[int64][]byte
	files     map[string][]byte // by path inside the bag's base directory
}

// fetchBag GETs /export.zip?query with client (as header user when
// set), checks it is a bag that validates, and reads it.
func fetchBag(t *testing.T, client *http.Client, base, query, user string) downloadedBag {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/export.zip?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("export.zip?%s: read: %v", query, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export.zip?%s: %d %s\n%.400s", query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	b := downloadedBag{path: filepath.Join(t.TempDir(), "bag.zip"), resp: resp, originals: map[int64][]byte{}, files: map[string][]byte{}}
	if err := os.WriteFile(b.path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bagit.ValidateZip(context.Background(), b.path); err != nil {
		t.Fatalf("export.zip?%s does not validate: %v", query, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	original := regexp.MustCompile(`^data/records/(\d+)/original\.[a-z0-9]+$`)
	for _, f := range zr.File {
		_, inner, _ := strings.Cut(f.Name, "/")
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		b.files[inner] = data
		if m := original.FindStringSubmatch(inner); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			b.records = append(b.records, id)
			b.originals[id] = data
		}
	}
	slices.Sort(b.records)
	return b
}

// searchIDs are the ids /api/search finds for query, in id order.
func searchIDs(t *testing.T, client *http.Client, base, query, user string) []int64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/search?limit=100&"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a SearchAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/search?%s: %d %v", query, resp.StatusCode, err)
	}
	ids := []int64{}
	for _, h := range a.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// exportEvents are the export events of the audit log, oldest first.
func exportEvents(t *testing.T, db *sqlite.DB) []catalog.Event {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []catalog.Event
	for _, e := range evs {
		if e.Action == evidencebag.ActionExport {
			out = append(out, e.Event)
		}
	}
	return out
}

// checkBag checks a downloaded bag against the catalog: it holds exactly
// want, each original byte for byte the stored one (by the record's
// sha256), with record.json and events.json; and the last export event
// is this bag's, by actor, with the query.
func checkBag(t *testing.T, db *sqlite.DB, b downloadedBag, want []int64, actor string, query map[string]any) {
	t.Helper()
	ctx := context.Background()
	if !slices.Equal(b.records, want) {
		t.Errorf("the bag holds records %v, the same search finds %v", b.records, want)
	}
	for _, id := range b.records {
		rec, err := db.Record(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexSHA(b.originals[id]); got != rec.SHA256 {
			t.Errorf("record %d: the original in the bag hashes to %s, the record says %s", id, got, rec.SHA256)
		}
		var meta evidencebag.Metadata
		if err := json.Unmarshal(b.files[fmt.Sprintf("data/records/%d/record.json", id)], &meta); err != nil || meta.ID != id || meta.SHA256 != rec.SHA256 {
			t.Errorf("record %d: record.json %+v (%v)", id, meta, err)
		}
		var history []evidencebag.Event
		if err := json.Unmarshal(b.files[fmt.Sprintf("data/records/%d/events.json", id)], &history); err != nil {
			t.Errorf("record %d: events.json: %v", id, err)
		}
		logged, err := db.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != len(logged) {
			t.Errorf("record %d: %d events in the bag, %d in the log when it was made", id, len(history), len(logged))
		}
		if rec.Archive != "" && !bytes.HasPrefix(b.files[fmt.Sprintf("data/records/%d/archive.pdf", id)], []byte("%PDF-")) {
			t.Errorf("record %d: no archival PDF in the bag", id)
		}
	}

	_, params, _ := mime.ParseMediaType(b.resp.Header.Get("Content-Disposition"))
	if !regexp.MustCompile(`^sohoa-bag-\d{8}-\d{4}\.zip$`).MatchString(params["filename"]) {
		t.Errorf("Content-Disposition %q, want attachment; filename=sohoa-bag-YYYYMMDD-HHMM.zip", b.resp.Header.Get("Content-Disposition"))
	}
	file, err := os.ReadFile(b.path)
	if err != nil {
		t.Fatal(err)
	}
	sum := hexSHA(file)
	if got := b.resp.Trailer.Get(sha256Header); got != sum {
		t.Errorf("trailer %s = %q, want the bag's sha256 %s", sha256Header, got, sum)
	}
	evs := exportEvents(t, db)
	if len(evs) == 0 {
		t.Fatal("no export event in the audit log")
	}
	ev := evs[len(evs)-1]
	var d struct {
		Query   map[string]any `json:"query"`
		Count   int            `json:"count"`
		Records string         `json:"records"`
		SHA256  string         `json:"sha256"`
		Bag     string         `json:"bag"`
		Via     string         `json:"via"`
	}
	if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
		t.Fatalf("export event details %q: %v", ev.Details, err)
	}
	if ev.Actor != actor || d.SHA256 != sum || d.Count != len(want) || d.Records != evidencebag.IDRanges(want) || d.Via != exportVia ||
		d.Bag+".zip" != params["filename"] || fmt.Sprint(d.Query) != fmt.Sprint(query) {
		t.Errorf("export event by %q: %+v; want actor %q, the bag's sha256 %s, records %s, query %v", ev.Actor, d, actor, sum, evidencebag.IDRanges(want), query)
	}
}

// TestExportBagByRole downloads bags from a dashboard over a real SQLite
// catalog and the real local store, signed in: an auditor's bag holds
// exactly what the same search finds; a clerk's only its units' records,
// whatever it asks; and each download is an export event by its user.
func TestExportBagByRole(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	mine := []int64{s.done.ID, s.failed.ID, s.early.ID}
	slices.Sort(mine)
	for _, tc := range []struct {
		user, query string
		want        []int64
		filters     map[string]any
	}{
		{"kiemtoan", "unit=21181", mine, map[string]any{"unit": "21181"}},
		{"kiemtoan", "q=giao+dat&type=quyet-dinh", []int64{s.done.ID}, map[string]any{"text": "giao dat", "type": "quyet-dinh"}},
		{"kiemtoan", "all=1", []int64{s.done.ID, s.failed.ID, s.other.ID, s.early.ID}, map[string]any{}},
		{"cntt", "unit=21175", []int64{s.other.ID}, map[string]any{"unit": "21175"}},
		{"lan", "all=1", mine, map[string]any{}},
		{"tho", "all=1", []int64{s.other.ID}, map[string]any{}},
		{"hai", "status=digitized", []int64{s.done.ID, s.other.ID, s.early.ID}, map[string]any{"status": "digitized"}},
	} {
		t.Run(tc.user+"?"+tc.query, func(t *testing.T) {
			b := newBrowser(t, s.srv.URL).mustLogin(tc.user)
			if got := searchIDs(t, b.client, s.srv.URL, tc.query, ""); !slices.Equal(got, tc.want) {
				t.Fatalf("/api/search?%s as %s finds %v, the test expects %v", tc.query, tc.user, got, tc.want)
			}
			slices.Sort(tc.want)
			bag := fetchBag(t, b.client, s.srv.URL, tc.query, "")
			checkBag(t, s.db, bag, tc.want, tc.user, tc.filters)
			if !bytes.Equal(bag.originals[s.done.ID], s.scan) && slices.Contains(tc.want, s.done.ID) {
				t.Errorf("the original of record %d in the bag is not the scan stored", s.done.ID)
			}
		})
	}

	t.Run("a clerk of another unit gets none of its records", func(t *testing.T) {
		before := len(exportEvents(t, s.db))
		b := newBrowser(t, s.srv.URL).mustLogin("tho")
		for _, q := range []string{"unit=21181", "q=giao+dat", fmt.Sprintf("number=%s", url.QueryEscape(s.done.Number.Value))} {
			resp, body := b.do(http.MethodGet, "/export.zip?"+q, nil)
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "no record matches") {
				t.Errorf("/export.zip?%s as a clerk of 21175: %d, want 404 no record matches\n%.300s", q, resp.StatusCode, body)
			}
		}
		if n := len(exportEvents(t, s.db)); n != before {
			t.Errorf("%d export events after refused exports, want %d", n, before)
		}
	})

	t.Run("the search page's button is the bag of its search", func(t *testing.T) {
		b := newBrowser(t, s.srv.URL).mustLogin("kiemtoan")
		_, page := b.do(http.MethodGet, "/search?unit=21181&status=digitized", nil)
		m := regexp.MustCompile(`<a href="([^"]+)" id="export"[^>]*>Xuất gói chứng cứ \(BagIt\) / Export evidence bag</a>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the search page has no #export button:\n%s", page)
		}
		href := strings.ReplaceAll(m[1], "&amp;", "&")
		path, query, _ := strings.Cut(href, "?")
		if path != "/export.zip" {
			t.Fatalf("#export links to %q", href)
		}
		want := searchIDs(t, b.client, s.srv.URL, "unit=21181&status=digitized", "")
		checkBag(t, s.db, fetchBag(t, b.client, s.srv.URL, query, ""), want, "kiemtoan", map[string]any{"unit": "21181", "status": "digitized"})
	})
}

// TestExportRefuses: no filter without all=1, a bad filter and a search
// with no record are refused with a page saying why, and nothing is
// logged as exported; a HEAD gets the headers only, logged neither.
func TestExportRefuses(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	for _, tc := range []struct {
		query  string
		status int
		want   string
	}{
		{"", http.StatusBadRequest, "all=1"},
		{"page=2", http.StatusBadRequest, "all=1"},
		{"unit=abc", http.StatusBadRequest, "unit"},
		{"unit=01001", http.StatusNotFound, "no record matches"},
		{"q=khong+co+tu+nay", http.StatusNotFound, "no record matches"},
	} {
		resp, body := request(t, e.srv.URL+"/export.zip?"+tc.query, "kiem.toan")
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) || resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("/export.zip?%s: %d %q, want %d saying %q\n%.300s", tc.query, resp.StatusCode, resp.Header.Get("Content-Disposition"), tc.status, tc.want, body)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, e.srv.URL+"/export.zip?unit=21181", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Sohoa-Records") != "2" {
		t.Errorf("HEAD /export.zip?unit=21181: %d, %s records", resp.StatusCode, resp.Header.Get("X-Sohoa-Records"))
	}
	if n := len(exportEvents(t, e.db)); n != 0 {
		t.Errorf("%d export events after refusals and a HEAD, want 0", n)
	}
}

// TestExportOfBrokenStore: a stored object that is missing or altered
// behind the store's back fails the export, and the bag is never
// delivered whole: when the failure comes before a byte of the bag is
// sent, the answer is a page naming the record and what to do; after,
// the connection is cut. None of them is an export event.
func TestExportOfBrokenStore(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	ctx := context.Background()

	// The second record's original is gone: the first record's files
	// (over exportTail and the zip's buffer) are sent by then.
	if err := e.store.Delete(ctx, e.failed.Original); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/export.zip?unit=21181")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err == nil {
		t.Errorf("export whose second record's original is missing: %d, %d bytes, read error %v; want 200 and the connection cut", resp.StatusCode, n, err)
	}

	// The first record's original altered, its size and time kept.
	path := filepath.Join(e.store.Dir(), filepath.FromSlash(e.done.Original))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(e.scan)
	altered[len(altered)-10] ^= 0xff
	if err := os.WriteFile(path, altered, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	resp, body := request(t, e.srv.URL+"/export.zip?q=giao+dat", "kiem.toan")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), fmt.Sprintf("#%d", e.done.ID)) ||
		!strings.Contains(string(body), "sohoa verify") || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("export with an altered original: %d %q, want 500 naming record %d and sohoa verify\n%.400s",
			resp.StatusCode, resp.Header.Get("Content-Disposition"), e.done.ID, body)
	}

	// The first record's original gone.
	if err := e.store.Delete(ctx, e.done.Original); err != nil {
		t.Fatal(err)
	}
	resp, body = request(t, e.srv.URL+"/export.zip?unit=21181", "kiem.toan")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), fmt.Sprintf("#%d", e.done.ID)) ||
		!strings.Contains(string(body), "sohoa verify") || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("export with a missing original: %d %q, want 500 naming record %d and sohoa verify\n%.400s",
			resp.StatusCode, resp.Header.Get("Content-Disposition"), e.done.ID, body)
	}
	if n := len(exportEvents(t, e.db)); n != 0 {
		t.Errorf("%d export events after failed exports, want 0", n)
	}
}

// TestExportBagFromS3 keeps the objects in a real MinIO server: the bag
// streams them through serve, validates and holds the very bytes stored;
// with no users the event's actor is the one the proxy names. An original
// altered in the bucket, its recorded sha256 kept, is never delivered
// whole, nor logged as exported.
func TestExportBagFromS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	st, err := s3.Open(context.Background(), srv.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	e := seedEvidence(t, st)
	want := searchIDs(t, http.DefaultClient, e.srv.URL, "unit=21181", "kiem.toan")
	if len(want) != 2 {
		t.Fatalf("search finds %v, want the 2 records of 21181", want)
	}
	b := fetchBag(t, http.DefaultClient, e.srv.URL, "unit=21181", "kiem.toan")
	checkBag(t, e.db, b, want, "kiem.toan", map[string]any{"unit": "21181"})
	if !bytes.Equal(b.originals[e.done.ID], e.scan) || !bytes.Equal(b.files[fmt.Sprintf("data/records/%d/archive.pdf", e.done.ID)], e.archive) {
		t.Error("the original or the archival PDF in the bag is not what the bucket holds")
	}

	cfg := srv.Config(t)
	cfg.Bucket = st.Bucket()
	raw, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(e.scan)
	altered[len(altered)-10] ^= 0xff
	if _, err := raw.PutObject(context.Background(), cfg.Bucket, e.done.Original, bytes.NewReader(altered), int64(len(altered)),
		minio.PutObjectOptions{ContentType: "image/png", UserMetadata: map[string]string{"sha256": e.done.SHA256}}); err != nil {
		t.Fatal(err)
	}
	if n, whole := fetchWhole(t, e.srv.URL+"/export.zip?unit=21181"); whole {
		t.Errorf("a bag with an original altered in the bucket downloaded whole (%d bytes)", n)
	}
	if n := len(exportEvents(t, e.db)); n != 1 {
		t.Errorf("%d export events, want 1 (the bag delivered whole)", n)
	}
}

// TestHeldWriter: the last bytes wait for release, the rest goes on.
func TestHeldWriter(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := &heldWriter{w: &out, rc: http.NewResponseController(httptest.NewRecorder()), hold: 4}
	for _, p := range []string{"ab", "cdefg", "h", "ijklmnop"} {
		if _, err := h.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "abcdefghijkl" || h.sent != 12 {
		t.Errorf("before release: %q sent (%d), want all but the last 4 bytes", out.String(), h.sent)
	}
	if err := h.release(); err != nil || out.String() != "abcdefghijklmnop" {
		t.Errorf("after release: %q, %v", out.String(), err)
	}
}

// slowObjects is a store that takes delay to open each object, as a
// remote store under load does.
type slowObjects struct {
	storage.Objects
	delay time.Duration
}

func (s slowObjects) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, storage.ObjectInfo{}, ctx.Err()
	}
	return s.Objects.Get(ctx, key)
}

// TestExportOutlivesWriteTimeout: a bag that takes longer to send than
// the server's WriteTimeout (serve's is 2 minutes; a district's bag takes
// longer) still arrives whole, since each write pushes the deadline.
func TestExportOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	d, err := New(Config{Source: e.db, Objects: slowObjects{e.store, 150 * time.Millisecond},
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(d)
	srv.Config.WriteTimeout = 250 * time.Millisecond
	srv.Start()
	defer srv.Close()
	start := time.Now()
	b := fetchBag(t, srv.Client(), srv.URL, "unit=21181", "kiem.toan") // 3 objects: over 400 ms
	if took := time.Since(start); took < srv.Config.WriteTimeout {
		t.Fatalf("the export took %v, under the WriteTimeout it should outlive", took)
	}
	checkBag(t, e.db, b, []int64{e.done.ID, e.failed.ID}, "kiem.toan", map[string]any{"unit": "21181"})
}
