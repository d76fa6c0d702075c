package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/fixtures"
	"sohoa/ocr/tesseract"
	"sohoa/pipeline/pages"
	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
)

// reviewData is a data folder whose catalog holds records as the pipeline
// leaves them: two needing review and one failed in commune 21181, one
// needing review in 21184, one digitized, one still queued.
type reviewData struct {
	dir                                string
	doubtful, other, failed, elsewhere int64
	queued                             int64
}

func newReviewData(t *testing.T) reviewData {
	t.Helper()
	ctx := context.Background()
	d := reviewData{dir: filepath.Join(t.TempDir(), "data")}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(d.dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "Lan", Key: "review-test"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(unit string, st catalog.Status, docType string, typeConf float64) int64 {
		t.Helper()
		n++
		r, err := db.AddRecord(ctx, catalog.Record{
			BatchID: b.ID, Unit: unit, Source: fmt.Sprintf("lo-1/scan-%02d.pdf", n), SHA256: fmt.Sprintf("%064x", n),
			Status: st, Stage: "done", Pages: 1, OCRConfidence: 0.8,
			CreatedAt: time.Date(2025, 3, 1, 8, n, 0, 0, time.UTC),
			DocType:   catalog.Field{Value: docType, Confidence: typeConf},
			Field:     catalog.Field{Value: "noi-vu", Confidence: 0.9},
			Number:    catalog.Field{Value: "86/QĐ-UBND", Confidence: 0.95},
			Issued:    catalog.Field{Value: "2025-01-16", Confidence: 0.3},
			Issuer:    catalog.Field{Value: "ỦY BAN NHÂN DÂN XÃ TỊNH PHONG", Confidence: 0.9},
			Subject:   catalog.Field{Value: "Về việc cấp phép", Confidence: 0.9},
		}, st == catalog.StatusQueued)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	d.doubtful = add("21181", catalog.StatusNeedsReview, "quyet-dinh", 0.6)
	d.other = add("21181", catalog.StatusNeedsReview, "khac", 0.9)
	d.failed = add("21181", catalog.StatusFailed, "", 0)
	add("21181", catalog.StatusDigitized, "quyet-dinh", 0.99)
	d.elsewhere = add("21184", catalog.StatusNeedsReview, "cong-van", 0.5)
	d.queued = add("21181", catalog.StatusQueued, "", 0)
	return d
}

func (d reviewData) list(t *testing.T, args ...string) []reviewJSON {
	t.Helper()
	out, stderr, code := sohoa(t, append([]string{"review", "list", "--data", d.dir, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("review list %v: exit %d: %s", args, code, stderr)
	}
	var got []reviewJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("review list --json: %v\n%s", err, out)
	}
	return got
}

func TestReviewList(t *testing.T) {
	d := newReviewData(t)
	got := d.list(t, "--unit", "21181")
	if len(got) != 3 || got[0].ID != d.doubtful || got[1].ID != d.other || got[2].ID != d.failed {
		t.Fatalf("review list --unit 21181: %+v, want records %d, %d, %d oldest first", got, d.doubtful, d.other, d.failed)
	}
	// Why names the fields below classify.DefaultThreshold (type 0.6,
	// date 0.3), not those above it (number 0.95); a khác has no number.
	if w := strings.Join(got[0].Why, ","); w != "doc_type,issued_on" {
		t.Errorf("why of #%d = %q, want doc_type,issued_on", d.doubtful, w)
	}
	if w := strings.Join(got[1].Why, ","); w != "issued_on" {
		t.Errorf("why of #%d = %q, want issued_on", d.other, w)
	}
	if w := strings.Join(got[2].Why, ","); w != "failed" {
		t.Errorf("why of #%d = %q, want failed", d.failed, w)
	}
	if f := got[0].Fields["doc_type"]; f.Value != "quyet-dinh" || f.Confidence != 0.6 || !f.Doubt || f.ByPerson {
		t.Errorf("proposed type of #%d: %+v", d.doubtful, f)
	}
	if all := d.list(t); len(all) != 4 {
		t.Errorf("review list without --unit: %d records, want 4", len(all))
	}
	if failed := d.list(t, "--status", "failed"); len(failed) != 1 || failed[0].ID != d.failed {
		t.Errorf("review list --status failed: %+v", failed)
	}

	out, _, code := sohoa(t, "review", "list", "--data", d.dir, "--unit", "21181")
	if code != 0 || !strings.Contains(out, "⚠") || !strings.Contains(out, "lý do / why: doc_type, issued_on") || !strings.Contains(out, "Quyết định (quyet-dinh)") {
		t.Errorf("review list for a person (exit %d):\n%s", code, out)
	}
	if _, stderr, code := sohoa(t, "review", "list", "--data", d.dir, "--status", "digitized"); code != exitUsage {
		t.Errorf("review list --status digitized: exit %d, want %d: %s", code, exitUsage, stderr)
	}
}

func TestReviewSetAndConfirm(t *testing.T) {
	d := newReviewData(t)
	id := fmt.Sprint(d.doubtful)

	// Bad values are refused before anything is written, saying what to write.
	for _, tc := range []struct{ arg, says string }{
		{"doc_type=quyet", "quyet-dinh, chi-thi"},
		{"field=hộ", "ho-tich"},
		{"issued_on=31/02/2025", "no such day"},
		{"issued_on=2025-02-31", "no such day"},
		{"issued_on=16.1.25", "16/01/2025"},
		{"issued_on=16/01/2999", "future"},
		{"issued_on=hôm qua", "16/01/2025"},
		{"valid=maybe", "true or false"},
		{"status=digitized", "no such field"},
		{"subject=", "empty"},
		{"doc_type", "field=value"},
	} {
		_, stderr, code := sohoa(t, "review", "set", "--data", d.dir, id, tc.arg)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("review set %s: exit %d, want %d saying %q:\n%s", tc.arg, code, exitUsage, tc.says, stderr)
		}
	}
	if _, stderr, code := sohoa(t, "review", "set", "--data", d.dir, fmt.Sprint(d.queued), "number=1/QĐ"); code != exitFailure || !strings.Contains(stderr, "pipeline") {
		t.Errorf("review set of a queued record: exit %d: %s", code, stderr)
	}

	out, stderr, code := sohoa(t, "review", "set", "--data", d.dir, id, "type=Tờ trình", "issued_on=16/01/2025",
		"subject=Về việc xây dựng nhà văn hóa thôn Phước Lộc", "valid=false", "--clerk", "Nguyễn Thị Lan", "--json")
	if code != 0 {
		t.Fatalf("review set: exit %d: %s", code, stderr)
	}
	var set struct {
		Clerk   string          `json:"clerk"`
		Changes []sqlite.Change `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil {
		t.Fatal(err)
	}
	// The date was already 2025-01-16: marked as the clerk's, no change.
	if set.Clerk != "Nguyễn Thị Lan" || len(set.Changes) != 3 ||
		set.Changes[0] != (sqlite.Change{Field: "doc_type", Old: "quyet-dinh", New: "to-trinh"}) ||
		set.Changes[2] != (sqlite.Change{Field: "valid", Old: "true", New: "false"}) {
		t.Errorf("review set --json: %s", out)
	}
	got := d.list(t, "--unit", "21181")[0]
	if got.Valid || !got.Fields["doc_type"].ByPerson || got.Fields["doc_type"].Confidence != 1 || len(got.Why) != 0 {
		t.Errorf("after set, the queue shows %+v", got)
	}
	out, _, _ = sohoa(t, "search", "--data", d.dir, "--json", "nha van hoa Phuoc Loc")
	var hits []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) != 1 || hits[0].ID != d.doubtful {
		t.Errorf("search for the corrected subject: %s (%v)", out, err)
	}

	// Confirming: khác and failed records are refused with what to do.
	if _, stderr, code := sohoa(t, "review", "confirm", "--data", d.dir, fmt.Sprint(d.other)); code != exitFailure || !strings.Contains(stderr, "doc_type=") {
		t.Errorf("confirm of a khac record: exit %d: %s", code, stderr)
	}
	if _, stderr, code := sohoa(t, "review", "confirm", "--data", d.dir, fmt.Sprint(d.failed)); code != exitFailure || !strings.Contains(stderr, "rescan") {
		t.Errorf("confirm of a failed record: exit %d: %s", code, stderr)
	}
	out, stderr, code = sohoa(t, "review", "confirm", "--data", d.dir, id, "--clerk", "Nguyễn Thị Lan")
	if code != 0 || !strings.Contains(out, "đã số hóa") {
		t.Fatalf("review confirm: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, r := range d.list(t) {
		if r.ID == d.doubtful {
			t.Errorf("confirmed record %d still in the review queue", d.doubtful)
		}
	}

	// Who, when, old and new of every correction are in the audit log.
	var corrections []sqlite.Change
	confirmed := false
	for _, ev := range auditLog(t, d.dir, "--record", id) {
		switch ev.Action {
		case "correct":
			var c sqlite.Change
			if err := json.Unmarshal(ev.Details, &c); err != nil {
				t.Fatalf("details of correct event %d: %v", ev.ID, err)
			}
			if ev.Actor != "Nguyễn Thị Lan" {
				t.Errorf("correct event %d by %q", ev.ID, ev.Actor)
			}
			corrections = append(corrections, c)
		case "confirm":
			confirmed = ev.Actor == "Nguyễn Thị Lan"
		}
	}
	if len(corrections) != 3 || corrections[0] != set.Changes[0] || !confirmed {
		t.Errorf("audit log of #%s: corrections %+v, confirmed by the clerk %v", id, corrections, confirmed)
	}
}

// reviewPassword is the password of the review tests' users.
const reviewPassword = "mat-khau-kiem-tra"

// reviewSite is a data folder with users (lan, clerk of 21181; tho,
// clerk of 21175; kiemtoan, auditor) and one record ingested through the
// real pipeline with Tesseract: a stack of three pages as one document
// (a one-page document, a blank separator sheet, another document).
type reviewSite struct {
	data string
	id   int64
}

func newReviewSite(t *testing.T) reviewSite {
	t.Helper()
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	old := auth.PasswordCost
	auth.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { auth.PasswordCost = old })
	dir := t.TempDir()
	s := reviewSite{data: filepath.Join(dir, "data")}
	if _, errs, code := sohoa(t, "units", "import", "--data", s.data); code != 0 {
		t.Fatalf("units import: %s", errs)
	}
	for _, u := range [][]string{{"lan", "--role", "clerk", "--unit", "21181"}, {"tho", "--role", "clerk", "--unit", "21175"},
		{"kiemtoan", "--role", "auditor"}} {
		if _, errs, code := withStdin(t, reviewPassword+"\n", append([]string{"users", "add", u[0], "--password-stdin", "--data", s.data}, u[1:]...)...); code != 0 {
			t.Fatalf("users add %s: %s", u[0], errs)
		}
	}
	var buf bytes.Buffer
	truth, err := fixtures.WriteStack(&buf, fixtures.StackOptions{Docs: 2, Seed: 4242, DPI: 200, Format: "tiff", MaxPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if truth.Pages != 3 {
		t.Fatalf("the stack has %d pages, want 3 (a document, a separator, a document): %+v", truth.Pages, truth)
	}
	scan := filepath.Join(dir, "lo-7.tif")
	if err := os.WriteFile(scan, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := sohoa(t, "ingest", "--data", s.data, "--unit", "21181", "--clerk", "Nguyễn Thị Lan", "--workers", "2", scan); code != exitOK && code != exitFailure {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, errs)
	}
	db := openReviewDB(t, s.data)
	recs, err := db.List(context.Background(), catalog.Filter{})
	if err != nil || len(recs) != 1 || recs[0].Pages != 3 {
		t.Fatalf("ingested %+v, %v; want one record of 3 pages", recs, err)
	}
	s.id = recs[0].ID
	// The record is left as the pipeline leaves a doubtful one, so it is
	// in the queue whatever the classifier made of this stack.
	r := recs[0]
	if r.Status != catalog.StatusNeedsReview {
		r.Status, r.Error = catalog.StatusNeedsReview, "cần kiểm tra / needs review: số ký hiệu (number)"
		r.Number.Confidence = 0.4
		if err := db.UpdateRecord(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func openReviewDB(t *testing.T, data string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// copyTree copies the data folder from to to, for two sites with the
// same records (the catalog is closed: no WAL to carry).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startReviewServe runs serve on data until the test ends and returns
// its base URL.
func startReviewServe(t *testing.T, data string, args ...string) string {
	t.Helper()
	return startServe(t, data, args...).base
}

// webSession is a browser's session on serve: its cookies, no redirects
// followed.
type webSession struct {
	t      *testing.T
	base   string
	client *http.Client
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]*)"|data-csrf="([^"]*)"`)

// csrfIn returns the CSRF token a page carries for its forms.
func csrfIn(page string) string {
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

func signInAs(t *testing.T, base, name string) *webSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &webSession{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page, _ := s.get("/login")
	code, body, _ := s.post("/login", url.Values{"name": {name}, "password": {reviewPassword}, "csrf": {csrfIn(page)}, "next": {"/review"}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d\n%.400s", name, code, body)
	}
	return s
}

func (s *webSession) get(path string) (int, string, http.Header) {
	s.t.Helper()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (s *webSession) post(path string, form url.Values) (int, string, http.Header) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// correctEvents returns the "correct" events of the record: who and the
// {field, old, new} of each.
func correctEvents(t *testing.T, db *sqlite.DB, id int64) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Action == "correct" {
			out = append(out, e.Actor+" "+e.Details)
		}
	}
	return out
}

// TestReviewPageCorrectsAsTheCLI: the review page of `sohoa serve` on a
// record read by the real pipeline. A clerk of the record's unit sees it
// in the queue, its page images with the words of the number marked
// where OCR found them, corrects it through the form (each change an
// event with who, old and new value: the same events and the same record
// as `sohoa review set` on a copy of the data) and confirms it (digitized,
// as `sohoa review confirm`). A clerk of another unit gets 404 for the
// page and for a POST, whatever id; the auditor reads but its POST is
// refused and logged; a POST without the CSRF token is refused.
func TestReviewPageCorrectsAsTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR: not in -short")
	}
	site := newReviewSite(t)
	cliData := filepath.Join(t.TempDir(), "data")
	copyTree(t, site.data, cliData)
	base := startReviewServe(t, site.data, "--workers", "0")
	ctx := context.Background()
	db := openReviewDB(t, site.data)
	before, err := db.Record(ctx, site.id)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/review/%d", site.id)

	lan := signInAs(t, base, "lan")
	code, queue, _ := lan.get("/review")
	if code != http.StatusOK || !strings.Contains(queue, fmt.Sprintf(`data-record="%d"`, site.id)) {
		t.Fatalf("lan's queue (%d) does not list record %d\n%.500s", code, site.id, queue)
	}
	code, page, _ := lan.get(path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%.500s", path, code, page)
	}
	for _, want := range []string{`id="review-form"`, `id="f-number"`, `id="f-issued_on"`, `id="f-doc_type"`, `id="confirm"`, `id="save"`, `data-status="needs_review"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the review page lacks %s", want)
		}
	}

	t.Run("number highlighted on its words", func(t *testing.T) {
		checkNumberBoxes(t, db, before, page)
	})

	t.Run("other unit, auditor, no csrf", func(t *testing.T) {
		tho := signInAs(t, base, "tho")
		_, thoQueue, _ := tho.get("/review")
		if strings.Contains(thoQueue, fmt.Sprintf(`data-record="%d"`, site.id)) {
			t.Errorf("tho's queue lists record %d of another unit", site.id)
		}
		if code, _, _ := tho.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s as a clerk of another unit: %d, want 404", path, code)
		}
		tok := csrfIn(thoQueue)
		for _, p := range []string{path, path + "/pages", fmt.Sprintf("/review/%d", site.id+1)} {
			if code, _, _ := tho.post(p, url.Values{"csrf": {tok}, "number": {"1/QĐ-UBND"}, "op": {"remove=2"}, "action": {"confirm"}}); code != http.StatusNotFound {
				t.Errorf("POST %s as a clerk of another unit: %d, want 404", p, code)
			}
		}
		aud := signInAs(t, base, "kiemtoan")
		code, audPage, _ := aud.get(path)
		if code != http.StatusOK || !strings.Contains(audPage, `id="read-only"`) {
			t.Errorf("GET %s as auditor: %d, want 200 read-only", path, code)
		}
		if code, _, h := aud.post(path, url.Values{"csrf": {csrfIn(audPage)}, "number": {"1/QĐ-UBND"}}); code != http.StatusForbidden || h.Get("X-Sohoa-Denied") != "role" {
			t.Errorf("POST %s as auditor: %d %q, want 403 role", path, code, h.Get("X-Sohoa-Denied"))
		}
		denied := false
		evs, err := db.AuditEvents(ctx, catalog.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			denied = denied || (e.Action == "denied" && e.Actor == "kiemtoan" && strings.Contains(e.Details, path))
		}
		if !denied {
			t.Errorf("the auditor's refused POST is not logged")
		}
		if code, _, h := lan.post(path, url.Values{"number": {"1/QĐ-UBND"}}); code != http.StatusForbidden || h.Get("X-Sohoa-Denied") != "csrf" {
			t.Errorf("POST without csrf: %d %q, want 403 csrf", code, h.Get("X-Sohoa-Denied"))
		}
		if r, _ := db.Record(ctx, site.id); r.Number != before.Number {
			t.Errorf("a refused POST changed the number: %+v → %+v", before.Number, r.Number)
		}
	})

	// A refused value shows the page again, 422, and changes nothing.
	tok := csrfIn(page)
	if code, body, _ := lan.post(path, url.Values{"csrf": {tok}, "issued_on": {"31/02/2025"}, "number": {"99/QĐ-UBND"}, "action": {"save"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "issued_on") {
		t.Errorf("POST a day that does not exist: %d, want 422 naming issued_on\n%.300s", code, body)
	}
	if r, _ := db.Record(ctx, site.id); r.Number != before.Number {
		t.Errorf("a refused form changed the number: %+v", r.Number)
	}

	// The same corrections through the form and through the CLI.
	form := url.Values{"csrf": {tok}, "action": {"save"}, "doc_type": {"quyet-dinh"}, "field": {before.Field.Value}, "number": {"86/QĐ-UBND"},
		"issued_on": {"16/01/2025"}, "issuer": {before.Issuer.Value}, "subject": {"Về việc  cấp giấy phép xây dựng"}, "valid": {"true"}}
	if before.Issuer.Value == "" {
		form.Set("issuer", "ỦY BAN NHÂN DÂN XÃ TỊNH PHONG")
	}
	if before.Field.Value == "" {
		form.Set("field", "xay-dung")
	}
	code, _, h := lan.post(path, form)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), path+"?saved=") {
		t.Fatalf("save: %d %s", code, h.Get("Location"))
	}
	args := []string{"review", "set", fmt.Sprint(site.id), "--clerk", "lan", "--data", cliData}
	for _, f := range []string{"doc_type", "field", "number", "issued_on", "issuer", "subject"} {
		if v := form.Get(f); v != recordValueOf(before, f) {
			args = append(args, f+"="+v)
		}
	}
	if out, errs, code := sohoa(t, args...); code != 0 {
		t.Fatalf("%v: %d\n%s%s", args, code, out, errs)
	}
	cli := openReviewDB(t, cliData)
	web, err := db.Record(ctx, site.id)
	if err != nil {
		t.Fatal(err)
	}
	byCLI, err := cli.Record(ctx, site.id)
	if err != nil {
		t.Fatal(err)
	}
	if web.Number.Value != "86/QĐ-UBND" || web.Issued.Value != "2025-01-16" || web.Subject.Value != "Về việc cấp giấy phép xây dựng" || web.Number.Confidence != 1 {
		t.Errorf("after the web save: number %+v, issued %+v, subject %+v", web.Number, web.Issued, web.Subject)
	}
	if fmt.Sprint(web.DocType, web.Field, web.Number, web.Issued, web.Issuer, web.Subject, web.Status) !=
		fmt.Sprint(byCLI.DocType, byCLI.Field, byCLI.Number, byCLI.Issued, byCLI.Issuer, byCLI.Subject, byCLI.Status) {
		t.Errorf("the web and the CLI made different records:\nweb %+v\ncli %+v", web, byCLI)
	}
	webEv, cliEv := correctEvents(t, db, site.id), correctEvents(t, cli, site.id)
	if len(webEv) == 0 || fmt.Sprint(webEv) != fmt.Sprint(cliEv) {
		t.Errorf("correct events differ:\nweb %q\ncli %q", webEv, cliEv)
	}
	var sawNumber bool
	for _, e := range webEv {
		var ch struct{ Field, Old, New string }
		if err := json.Unmarshal([]byte(strings.TrimPrefix(e, "lan ")), &ch); err != nil || !strings.HasPrefix(e, "lan ") {
			t.Errorf("correct event %q: not by lan with {field, old, new}", e)
		}
		if ch.Field == "number" {
			sawNumber = ch.Old == before.Number.Value && ch.New == "86/QĐ-UBND"
		}
	}
	if !sawNumber {
		t.Errorf("no correct event of number %q → 86/QĐ-UBND: %q", before.Number.Value, webEv)
	}

	// Confirm: digitized, as the CLI.
	code, _, h = lan.post(path, url.Values{"csrf": {tok}, "action": {"confirm"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "confirmed=1") {
		t.Fatalf("confirm: %d %s", code, h.Get("Location"))
	}
	if out, errs, code := sohoa(t, "review", "confirm", fmt.Sprint(site.id), "--clerk", "lan", "--data", cliData); code != 0 {
		t.Fatalf("review confirm: %d %s%s", code, out, errs)
	}
	web, _ = db.Record(ctx, site.id)
	byCLI, _ = cli.Record(ctx, site.id)
	if web.Status != catalog.StatusDigitized || byCLI.Status != catalog.StatusDigitized {
		t.Errorf("after confirming: web %s, cli %s; want digitized", web.Status, byCLI.Status)
	}
	if _, page, _ := lan.get(path); !strings.Contains(page, `data-status="digitized"`) {
		t.Errorf("the review page does not show the record digitized")
	}
	if _, q, _ := lan.get("/review"); strings.Contains(q, fmt.Sprintf(`data-record="%d"`, site.id)) {
		t.Errorf("a confirmed record is still in the queue")
	}
}

func recordValueOf(r catalog.Record, f string) string {
	return map[string]string{"doc_type": r.DocType.Value, "field": r.Field.Value, "number": r.Number.Value,
		"issued_on": r.Issued.Value, "issuer": r.Issuer.Value, "subject": r.Subject.Value}[f]
}

var numberBox = regexp.MustCompile(`class="box" data-field="number" data-box="(\d+),(\d+),(\d+),(\d+)"`)

// checkNumberBoxes checks the boxes the page marks for the number are
// those of the stored words that hold the number, on the first page.
func checkNumberBoxes(t *testing.T, db *sqlite.DB, rec catalog.Record, page string) {
	t.Helper()
	if rec.Number.Value == "" {
		t.Fatalf("the pipeline read no number from record %d: pick another seed", rec.ID)
	}
	pgs, err := db.Pages(context.Background(), rec.ID)
	if err != nil || len(pgs) == 0 {
		t.Fatalf("pages of record %d: %v", rec.ID, err)
	}
	want := map[string]bool{}
	fold := func(s string) string { return strings.ToLower(vntext.Fold(s)) }
	for _, w := range pgs[0].Words {
		if strings.Contains(fold(w.Text), fold(rec.Number.Value)) {
			want[fmt.Sprintf("%d,%d,%d,%d", w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y)] = true
		}
	}
	if len(want) == 0 {
		t.Fatalf("no stored word of page 1 holds the number %q", rec.Number.Value)
	}
	got := map[string]bool{}
	for _, m := range numberBox.FindAllStringSubmatch(page, -1) {
		got[strings.Join(m[1:], ",")] = true
	}
	t.Logf("number %q: marked %v, stored words %v", rec.Number.Value, got, want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("number %q marked at %v, want the stored boxes of its words %v", rec.Number.Value, got, want)
	}
}

// TestReviewPagesReprocess: turning and removing pages reads the record
// again through the real pipeline (Tesseract): from the terminal (`sohoa
// review pages`, which waits) and from the review page (serve's pipeline
// picks the job up). The record then has the pages of the new plan — a
// turned page's sides swapped, the removed one gone, in the text, the
// word boxes and the archival PDF — the clerk's correction stays, the
// stored original is byte for byte what was ingested, and each change is
// a "pages" event with the old and the new plan.
func TestReviewPagesReprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR: not in -short")
	}
	site := newReviewSite(t)
	ctx := context.Background()
	id := fmt.Sprint(site.id)
	if out, errs, code := sohoa(t, "review", "set", id, "number=86/QĐ-UBND", "--clerk", "lan", "--data", site.data); code != 0 {
		t.Fatalf("review set: %d %s%s", code, out, errs)
	}
	db := openReviewDB(t, site.data)
	before, err := db.Record(ctx, site.id)
	if err != nil {
		t.Fatal(err)
	}
	oldPages, err := db.Pages(ctx, site.id)
	if err != nil || len(oldPages) != 3 {
		t.Fatalf("pages before: %d, %v", len(oldPages), err)
	}

	// Refused ops name what to write, and change nothing.
	if _, errs, code := sohoa(t, "review", "pages", id, "rotate=3:45", "--data", site.data); code != exitUsage || !strings.Contains(errs, "90") {
		t.Errorf("rotate by 45°: exit %d %s, want a usage error teaching 90", code, errs)
	}
	if _, errs, code := sohoa(t, "review", "pages", id, "remove=4", "--data", site.data); code != exitUsage || !strings.Contains(errs, "3") {
		t.Errorf("remove a page that is not there: exit %d %s", code, errs)
	}

	out, errs, code := sohoa(t, "review", "pages", id, "remove=2", "rotate=3:90", "--clerk", "lan", "--workers", "2", "--json", "--data", site.data)
	if code != 0 {
		t.Fatalf("review pages: %d\n%s%s", code, out, errs)
	}
	var res struct {
		Plan   [][2]int       `json:"plan"`
		Status catalog.Status `json:"status"`
		Pages  int            `json:"pages"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("review pages --json: %v\n%s", err, out)
	}
	if fmt.Sprint(res.Plan) != "[[1 0] [3 90]]" || res.Pages != 2 {
		t.Errorf("review pages answered %+v, want plan [[1 0] [3 90]] and 2 pages", res)
	}
	after, err := db.Record(ctx, site.id)
	if err != nil {
		t.Fatal(err)
	}
	checkReprocessed(t, site.data, db, before, after, 2)
	newPages, err := db.Pages(ctx, site.id)
	if err != nil || len(newPages) != 2 {
		t.Fatalf("pages after: %d, %v", len(newPages), err)
	}
	if newPages[0].Width != oldPages[0].Width || newPages[1].Width != oldPages[2].Height || newPages[1].Height != oldPages[2].Width {
		t.Errorf("page sizes after: %dx%d, %dx%d; want page 1 as it was (%dx%d), page 2 the scanned page 3 turned (%dx%d)",
			newPages[0].Width, newPages[0].Height, newPages[1].Width, newPages[1].Height,
			oldPages[0].Width, oldPages[0].Height, oldPages[2].Height, oldPages[2].Width)
	}
	if newPages[0].Text != oldPages[0].Text {
		t.Errorf("page 1, untouched, reads differently after the change")
	}
	checkPagesEvent(t, db, site.id, "lan", "[]", "[[1,0],[3,90]]")

	// From the review page: leave out the turned page; serve reads it again.
	base := startReviewServe(t, site.data, "--workers", "1")
	lan := signInAs(t, base, "lan")
	path := "/review/" + id
	_, page, _ := lan.get(path)
	if !strings.Contains(page, `value="remove=2"`) || !strings.Contains(page, `data-scanned="3" data-rotate="90"`) {
		t.Fatalf("the review page does not offer to remove page 2 or show it as scanned page 3 turned 90°\n%.2000s", page)
	}
	code, _, h := lan.post(path+"/pages", url.Values{"csrf": {csrfIn(page)}, "op": {"remove=2"}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST %s/pages: %d", path, code)
	}
	if loc := h.Get("Location"); !strings.HasPrefix(loc, path+"?pages=") {
		t.Errorf("after the page change: to %q", loc)
	}
	deadline := time.Now().Add(2 * time.Minute)
	var web catalog.Record
	for {
		web, err = db.Record(ctx, site.id)
		if err != nil {
			t.Fatal(err)
		}
		if web.Status != catalog.StatusQueued && web.Status != catalog.StatusProcessing && web.Stage == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %d still %s/%s two minutes after the page change", site.id, web.Status, web.Stage)
		}
		time.Sleep(200 * time.Millisecond)
	}
	checkReprocessed(t, site.data, db, after, web, 1)
	checkPagesEvent(t, db, site.id, "lan", "[[1,0],[3,90]]", "[[1,0]]")
}

// checkReprocessed checks the record after a page change was read again:
// n pages, the clerk's number kept, the original untouched, and an
// archival PDF of n pages.
func checkReprocessed(t *testing.T, data string, db *sqlite.DB, before, after catalog.Record, n int) {
	t.Helper()
	ctx := context.Background()
	if after.Pages != n || after.Stage != "done" || after.Status == catalog.StatusFailed {
		t.Errorf("record after the change: %d pages, stage %q, status %s (%s); want %d pages, done", after.Pages, after.Stage, after.Status, after.Error, n)
	}
	if after.Number.Value != before.Number.Value || after.Number.Confidence != 1 {
		t.Errorf("the clerk's number %q is now %+v", before.Number.Value, after.Number)
	}
	if after.Original != before.Original || after.SHA256 != before.SHA256 {
		t.Errorf("the original changed: %s → %s", before.Original, after.Original)
	}
	st, err := local.Open(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hashObject(ctx, st, after.Original); err != nil || got != before.SHA256 {
		t.Errorf("the stored original hashes to %s (%v), want %s", got, err, before.SHA256)
	}
	rc, _, err := st.Get(ctx, after.Archive)
	if err != nil {
		t.Fatalf("get archive %s: %v", after.Archive, err)
	}
	defer rc.Close()
	f := filepath.Join(t.TempDir(), "archive.pdf")
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := pages.Count(ctx, f, pages.Options{}); err != nil || got != n {
		t.Errorf("the archival PDF has %d pages (%v), want %d", got, err, n)
	}
	pgs, err := db.Pages(ctx, after.ID)
	if err != nil || len(pgs) != n {
		t.Errorf("the catalog has %d pages of the record (%v), want %d", len(pgs), err, n)
	}
}

// checkPagesEvent checks the last "pages" event of the record.
func checkPagesEvent(t *testing.T, db *sqlite.DB, id int64, who, old, new string) {
	t.Helper()
	evs, err := db.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action != "pages" {
			continue
		}
		var d struct {
			Old, New json.RawMessage
			Ops      []string
		}
		if err := json.Unmarshal([]byte(evs[i].Details), &d); err != nil {
			t.Fatal(err)
		}
		if evs[i].Actor != who || string(d.Old) != old || string(d.New) != new || len(d.Ops) == 0 {
			t.Errorf("pages event by %s %s, want by %s old %s new %s", evs[i].Actor, evs[i].Details, who, old, new)
		}
		return
	}
	t.Errorf("no pages event for record %d", id)
}
