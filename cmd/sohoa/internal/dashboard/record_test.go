package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/ocr"
	"sohoa/pipeline/archive"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
)

// evidence is a catalog and a local store holding two records the way
// the pipeline leaves them: one digitized with its archival PDF, one that
// failed after its original was stored.
type evidence struct {
	db      *sqlite.DB
	store   *local.Store
	srv     *httptest.Server
	done    catalog.Record // digitized, with an archive
	failed  catalog.Record // failed, original only
	scan    []byte         // the original of done
	archive []byte         // its archival PDF
}

// pageText is the OCR text of done's page: what the page says, and text
// an attacker might have printed on paper to break the page.
const pageText = "QUYẾT ĐỊNH\nVề việc giao đất cho hộ ông Nguyễn Văn Đức\n<script>alert('ocr')</script> & <b>in đậm</b>"

// scanImage is a white A6-sized page at 100 dpi with a black block in its
// top-left quarter, so a drawn page can be checked by where it is dark.
func scanImage(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 413, 583))
	for y := range 583 {
		for x := range 413 {
			c := color.Gray{Y: 255}
			if x < 206 && y < 291 {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func put(t testing.TB, st storage.Objects, key string, b []byte, ct string) {
	t.Helper()
	if _, err := st.Put(context.Background(), key, bytes.NewReader(b), int64(len(b)), storage.PutOptions{ContentType: ct, SHA256: hexSHA(b)}); err != nil {
		t.Fatal(err)
	}
}

// seedEvidence stores the records' files in a real local store, and the
// records, pages and events in a real SQLite catalog, and serves the
// dashboard over them with objects (the local store when nil).
func seedEvidence(t *testing.T, objects storage.Objects) evidence {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := local.Open(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if objects == nil {
		objects = st
	}
	e := evidence{db: db, store: st, scan: scanImage(t)}

	var pdf bytes.Buffer
	aw, err := archive.NewWriter(&pdf, archive.Meta{Title: "86/QĐ-UBND"})
	if err != nil {
		t.Fatal(err)
	}
	if err := aw.AddPage(archive.Page{Image: ocr.Image{Data: e.scan, Format: "png", Width: 413, Height: 583, DPI: 100}}); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	e.archive = pdf.Bytes()
	sum := hexSHA(e.scan)
	put(t, objects, storage.OriginalKey(sum), e.scan, "image/png")
	put(t, objects, storage.ArchiveKey(sum), e.archive, "application/pdf")

	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "Nguyễn Thị Lan", Key: "evidence"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	e.done, err = db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: `lo-3\Quyết định 86.png`, SHA256: sum,
		Size: int64(len(e.scan)), ContentType: "image/png", Pages: 1, Status: catalog.StatusQueued,
		Original: storage.OriginalKey(sum), CreatedAt: at, UpdatedAt: at}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutPage(ctx, catalog.Page{RecordID: e.done.ID, N: 1, Source: "ocr", DPI: 100, Page: ocr.Page{Text: pageText, Confidence: 0.91}}); err != nil {
		t.Fatal(err)
	}
	e.done.Status = catalog.StatusDigitized
	e.done.Archive = storage.ArchiveKey(sum)
	e.done.DocType = catalog.Field{Value: "quyet-dinh", Confidence: 0.97}
	e.done.Field = catalog.Field{Value: "dat-dai", Confidence: 0.64}
	e.done.Number = catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.88}
	e.done.Issued = catalog.Field{Value: "2025-01-16", Confidence: 0.93}
	e.done.Issuer = catalog.Field{Value: "ỦY BAN NHÂN DÂN XÃ THỌ PHONG", Confidence: 0.81}
	e.done.Subject = catalog.Field{Value: "Về việc giao đất cho hộ ông Nguyễn Văn Đức", Confidence: 0.86}
	e.done.OCRConfidence = 0.91
	if err := db.UpdateRecord(ctx, e.done); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"ingest", "store", "ocr", "classify", "archive"} {
		if err := db.AppendEvent(ctx, catalog.Event{At: at, Actor: "sohoa", Action: a, RecordID: e.done.ID, Details: `{}`}); err != nil {
			t.Fatal(err)
		}
	}

	bad := []byte("II*\x00 not really a tiff")
	put(t, objects, storage.OriginalKey(hexSHA(bad)), bad, "image/tiff")
	e.failed, err = db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21181", Source: "hong.tif", SHA256: hexSHA(bad), Size: int64(len(bad)),
		ContentType: "image/tiff", Status: catalog.StatusFailed, Original: storage.OriginalKey(hexSHA(bad)),
		Error: "tệp hỏng: quét lại", CreatedAt: at, UpdatedAt: at}, false)
	if err != nil {
		t.Fatal(err)
	}
	if e.done, err = db.Record(ctx, e.done.ID); err != nil {
		t.Fatal(err)
	}

	d, err := New(Config{
		Source:       db,
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) { return nil, nil },
		Objects:      objects,
		Now:          func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(d)
	t.Cleanup(e.srv.Close)
	return e
}

// request does a GET as user (none when empty) and reads the answer.
func request(t *testing.T, url, user string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, b
}

// accessEvents are the view and download events of a record.
func accessEvents(t *testing.T, db *sqlite.DB, id int64) []catalog.Event {
	t.Helper()
	evs, err := db.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []catalog.Event
	for _, e := range evs {
		if e.Action == actionView || e.Action == actionDownload {
			out = append(out, e)
		}
	}
	return out
}

func details(t *testing.T, e catalog.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(e.Details), &m); err != nil {
		t.Fatalf("event %d details %q: %v", e.ID, e.Details, err)
	}
	return m
}

func TestRecordPageShowsTheEvidence(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	resp, body := request(t, fmt.Sprintf("%s/records/%d", e.srv.URL, e.done.ID), "kiem.toan@so-noi-vu")
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("record page: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{
		e.done.SHA256, `lo-3\Quyết định 86.png`, "image/png", fmt.Sprintf("%d bytes", len(e.scan)),
		"Quyết định", "quyet-dinh", "Đất đai", "86/QĐ-UBND", "2025-01-16", "ỦY BAN NHÂN DÂN XÃ THỌ PHONG",
		"97%", "64%", "88%", "93%", "81%", "86%", "91%",
		fmt.Sprintf(`href="/records/%d/original"`, e.done.ID), fmt.Sprintf(`href="/records/%d/archive.pdf"`, e.done.ID),
		fmt.Sprintf(`src="/records/%d/pages/1.png"`, e.done.ID),
		"Về việc giao đất cho hộ ông Nguyễn Văn Đức",
		// The page's text is shown as text, never as markup.
		"&lt;script&gt;alert(&#39;ocr&#39;)&lt;/script&gt; &amp; &lt;b&gt;in đậm&lt;/b&gt;",
		`data-action="ingest"`, `data-action="archive"`, `data-action="view"`, "kiem.toan@so-noi-vu",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>in đậm") {
		t.Error("record page carries the OCR text's markup as HTML")
	}
	if strings.Contains(page, "presign=1") {
		t.Error("record page offers a presigned link on a local store")
	}
	if !strings.Contains(page, `data-field="field" class="low"`) {
		t.Error("the field read at 64% is not marked as low confidence")
	}

	// A second view, with no user named, is logged under the address.
	if resp, _ := request(t, fmt.Sprintf("%s/records/%d", e.srv.URL, e.done.ID), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("second view: %d", resp.StatusCode)
	}
	evs := accessEvents(t, e.db, e.done.ID)
	if len(evs) != 2 {
		t.Fatalf("access events %+v, want two views", evs)
	}
	for i, want := range []string{"kiem.toan@so-noi-vu", "web:127.0.0.1"} {
		if evs[i].Action != actionView || evs[i].Actor != want || details(t, evs[i])["what"] != "record" {
			t.Errorf("event %d = %+v, want a view of the record by %s", i, evs[i], want)
		}
	}

	// The failed record shows why, with its original still downloadable.
	_, body = request(t, fmt.Sprintf("%s/records/%d", e.srv.URL, e.failed.ID), "")
	if page := string(body); !strings.Contains(page, "tệp hỏng: quét lại") || !strings.Contains(page, "/original") || strings.Contains(page, "archive.pdf") {
		t.Errorf("failed record's page should give the error and the original, no archive:\n%s", page)
	}
}

func TestRecordUnknownIs404(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	for _, path := range []string{
		"/records/987654", "/records/abc", "/records/0", "/records/-1",
		"/records/987654/original", "/records/987654/archive.pdf", "/records/987654/pages/1.png",
		fmt.Sprintf("/records/%d/pages/2.png", e.done.ID), fmt.Sprintf("/records/%d/pages/0.png", e.done.ID),
		fmt.Sprintf("/records/%d/pages/1.jpg", e.done.ID), fmt.Sprintf("/records/%d/archive.pdf", e.failed.ID),
	} {
		resp, body := request(t, e.srv.URL+path, "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
		if !strings.Contains(string(body), `id="problem"`) {
			t.Errorf("GET %s: the page does not say what is missing:\n%s", path, body)
		}
	}
	for _, r := range []catalog.Record{e.done, e.failed} {
		if evs := accessEvents(t, e.db, r.ID); len(evs) != 0 {
			t.Errorf("record %d: %d access events logged for requests that found nothing: %+v", r.ID, len(evs), evs)
		}
	}
}

func TestDownloadOriginal(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	resp, body := request(t, fmt.Sprintf("%s/records/%d/original", e.srv.URL, e.done.ID), "kiem.toan")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d\n%s", resp.StatusCode, body)
	}
	if !bytes.Equal(body, e.scan) {
		t.Fatalf("downloaded %d bytes, not the %d bytes of the original", len(body), len(e.scan))
	}
	if got := resp.Header.Get(sha256Header); got != hexSHA(body) || got != e.done.SHA256 {
		t.Errorf("%s = %q; the bytes hash to %s, the record holds %s", sha256Header, got, hexSHA(body), e.done.SHA256)
	}
	if got, want := resp.Header.Get("Content-Type"), "image/png"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "Quyết định 86.png" {
		t.Errorf("Content-Disposition %q (%v): want an attachment named Quyết định 86.png", resp.Header.Get("Content-Disposition"), err)
	}
	evs := accessEvents(t, e.db, e.done.ID)
	if len(evs) != 1 || evs[0].Action != actionDownload || evs[0].Actor != "kiem.toan" {
		t.Fatalf("access events %+v, want one download by kiem.toan", evs)
	}
	if d := details(t, evs[0]); d["what"] != "original" || d["sha256"] != e.done.SHA256 || d["key"] != e.done.Original {
		t.Errorf("download details %v, want the original's key and sha256", d)
	}

	resp, body = request(t, fmt.Sprintf("%s/records/%d/archive.pdf", e.srv.URL, e.done.ID), "kiem.toan")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, e.archive) {
		t.Fatalf("archive: %d, %d bytes; want 200 and the %d bytes of the archival PDF", resp.StatusCode, len(body), len(e.archive))
	}
	if got := resp.Header.Get("Content-Type"); got != "application/pdf" {
		t.Errorf("archive Content-Type %q, want application/pdf", got)
	}
	if disp, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); disp != "inline" || params["filename"] != "Quyết định 86.png.pdf" {
		t.Errorf("archive Content-Disposition %q, want inline, Quyết định 86.png.pdf", resp.Header.Get("Content-Disposition"))
	}
	if got := resp.Header.Get(sha256Header); got != hexSHA(e.archive) {
		t.Errorf("archive %s = %q, want the archive's own sha256 %s", sha256Header, got, hexSHA(e.archive))
	}
	evs = accessEvents(t, e.db, e.done.ID)
	if len(evs) != 2 || evs[1].Action != actionDownload || details(t, evs[1])["what"] != "archive" {
		t.Errorf("access events %+v, want the original's download then the archive's", evs)
	}
}

// TestDownloadAlteredOriginal changes the original's bytes in the store's
// folder behind its back: the download must not end as a whole file.
func TestDownloadAlteredOriginal(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	path := filepath.Join(e.store.Dir(), filepath.FromSlash(e.done.Original))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(e.scan)
	altered[len(altered)-1] ^= 0xff
	if err := os.WriteFile(path, altered, 0o644); err != nil {
		t.Fatal(err)
	}
	// Same size and time: the store's metadata still fits the file, and
	// only hashing the bytes as they are sent finds the change.
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if n, whole := fetchWhole(t, fmt.Sprintf("%s/records/%d/original", e.srv.URL, e.done.ID)); whole {
		t.Fatalf("an altered original downloaded whole (%d bytes), and should have been cut", n)
	}
}

func TestPageImage(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pdftoppm is missing (make setup installs poppler-utils): %v", err)
		}
		t.Skip("pdftoppm is missing (make setup installs poppler-utils)")
	}
	e := seedEvidence(t, nil)
	for _, tc := range []struct {
		name string
		rec  catalog.Record
	}{
		{"from the archival PDF", e.done},
		{"from the original scan", func() catalog.Record { r := e.done; r.Archive = ""; return r }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rec.Archive == "" {
				// A record without archive: its own row, on the same original.
				r := tc.rec
				r.ID = 0
				r.Source = "scan-only.png"
				added, err := e.db.AddRecord(context.Background(), r, false)
				if err != nil {
					t.Fatal(err)
				}
				tc.rec = added
			}
			resp, body := request(t, fmt.Sprintf("%s/records/%d/pages/1.png", e.srv.URL, tc.rec.ID), "")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("page 1: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			img, err := png.Decode(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("page 1 is not a PNG: %v", err)
			}
			b := img.Bounds()
			if max(b.Dx(), b.Dy()) > pageImageSide || b.Dy() < b.Dx() {
				t.Errorf("page 1 is %dx%d, want portrait and at most %d on its long side", b.Dx(), b.Dy(), pageImageSide)
			}
			// The block is dark in the top-left quarter, the page light elsewhere.
			lum := func(fx, fy float64) uint32 {
				r, g, bl, _ := img.At(b.Min.X+int(fx*float64(b.Dx())), b.Min.Y+int(fy*float64(b.Dy()))).RGBA()
				return (r + g + bl) / 3 >> 8
			}
			if lum(0.25, 0.25) > 60 || lum(0.75, 0.75) < 200 || lum(0.75, 0.25) < 200 {
				t.Errorf("page 1 does not show the scan: luminance %d in the block, %d and %d outside", lum(0.25, 0.25), lum(0.75, 0.75), lum(0.75, 0.25))
			}
			if evs := accessEvents(t, e.db, tc.rec.ID); len(evs) != 0 {
				t.Errorf("a page image logged %d events; the record view logs them", len(evs))
			}
		})
	}
}

// TestPageImageOfBrokenScan asks for the page of a record whose original
// is not a readable scan: the answer says so, and is not a server error.
func TestPageImageOfBrokenScan(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	resp, body := request(t, fmt.Sprintf("%s/records/%d/pages/1.png", e.srv.URL, e.failed.ID), "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "hong.tif") {
		t.Errorf("page of a broken TIFF: %d, want 422 naming hong.tif\n%s", resp.StatusCode, body)
	}
}

// fetchWhole GETs url and reports whether a 200 answer arrived whole, and
// how many bytes of it did; a connection cut before or during the answer
// is not whole.
func fetchWhole(t *testing.T, url string) (int, bool) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return len(body), err == nil && resp.StatusCode == http.StatusOK
}
