package dashboard

import (
	"context"
	"errors"
	"image"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/ocr"
	"sohoa/pipeline/review"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// catalogReviewer is a Reviewer straight on the catalog, for the tests
// of this package; `sohoa serve` uses cmd/sohoa's, which adds the
// checks and the retraining of `sohoa review` (tested there).
type catalogReviewer struct{ db *sqlite.DB }

func (c catalogReviewer) ReviewQueue(ctx context.Context, unit string) ([]catalog.Record, error) {
	return c.db.ReviewQueue(ctx, unit, "")
}

func (c catalogReviewer) ReviewState(ctx context.Context, id int64) (ReviewState, error) {
	set, confirmed, err := c.db.PersonSet(ctx, id)
	if err != nil {
		return ReviewState{}, err
	}
	valid, err := c.db.Valid(ctx, id)
	if err != nil {
		return ReviewState{}, err
	}
	plan, err := c.db.PagePlan(ctx, id)
	return ReviewState{PersonSet: set, Confirmed: confirmed, Valid: valid, Plan: plan}, err
}

func (c catalogReviewer) Correct(ctx context.Context, id int64, who string, cs []review.Correction) ([]Change, error) {
	sc := make([]sqlite.Correction, len(cs))
	for i, x := range cs {
		sc[i] = sqlite.Correction(x)
	}
	ch, err := c.db.Correct(ctx, id, who, sc)
	out := make([]Change, len(ch))
	for i, x := range ch {
		out[i] = Change(x)
	}
	return out, err
}

func (c catalogReviewer) Confirm(ctx context.Context, id int64, who string) (Confirmation, error) {
	r, err := c.db.Confirm(ctx, id, who)
	if errors.Is(err, sqlite.ErrTypeUnknown) || errors.Is(err, sqlite.ErrNotReviewable) {
		return Confirmation{}, &Refusal{Err: err}
	}
	return Confirmation{Record: r}, err
}

func (c catalogReviewer) ChangePages(ctx context.Context, id int64, who string, ops []string) error {
	return &Refusal{Err: errors.New("page changes are tested in cmd/sohoa")}
}

// TestReviewAuditorWriteRefusedAndLogged: the auditor reads the review
// page but its POST is refused (403) and logged as a "denied" event; a
// clerk's POST without the CSRF token is refused and changes nothing.
func TestReviewAuditorWriteRefusedAndLogged(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	ctx := context.Background()
	id := s.early.ID
	path := "/review/" + itoa(id)

	aud := newBrowser(t, s.srv.URL).mustLogin("kiemtoan")
	if resp, body := aud.do(http.MethodGet, path, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="read-only"`) {
		t.Errorf("GET %s as auditor: %d, want 200 read-only\n%.300s", path, resp.StatusCode, body)
	}
	resp, _ := aud.do(http.MethodPost, path, url.Values{"csrf": {aud.csrf}, "number": {"1/QĐ-UBND"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST %s as auditor: %d, want 403", path, resp.StatusCode)
	}
	if !hasDenied(t, s, "kiemtoan", path) {
		t.Errorf("the auditor's refused POST is not logged as a denied event")
	}

	lan := newBrowser(t, s.srv.URL).mustLogin("lan")
	resp, _ = lan.do(http.MethodPost, path, url.Values{"number": {"2/QĐ-UBND"}})
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get(deniedHeader) != "csrf" {
		t.Errorf("POST %s without csrf: %d %q, want 403 csrf", path, resp.StatusCode, resp.Header.Get(deniedHeader))
	}
	rec, err := s.db.Record(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Number.Value == "1/QĐ-UBND" || rec.Number.Value == "2/QĐ-UBND" {
		t.Errorf("a refused POST changed the number to %q", rec.Number.Value)
	}
	// With the token the same clerk's correction goes through.
	resp, _ = lan.do(http.MethodPost, path, url.Values{"csrf": {lan.csrf}, "number": {"3/QĐ-UBND"}, "action": {"save"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s with csrf: %d, want 303", path, resp.StatusCode)
	}
	if rec, _ = s.db.Record(ctx, id); rec.Number.Value != "3/QĐ-UBND" {
		t.Errorf("number after the clerk's save: %q, want 3/QĐ-UBND", rec.Number.Value)
	}
}

func hasDenied(t *testing.T, s authSeeded, who, path string) bool {
	t.Helper()
	for _, e := range s.deniedEvents(t) {
		if e.Actor == who && strings.Contains(e.Details, path) {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReviewQueueByUnit: the queue of a clerk lists its units' records
// that need a person and no other; a unit not the clerk's is "no such
// unit" (a unit merged into one of the clerk's is the clerk's); IT
// picks any unit, and a unit's queue holds that unit's only.
func TestReviewQueueByUnit(t *testing.T) {
	s := seedAuth(t, auth.Options{}, nil)
	row := `data-record="` + itoa(s.failed.ID) + `"`
	for _, tc := range []struct {
		user, query string
		status      int
		lists       bool
	}{
		{"lan", "", http.StatusOK, true},
		{"lan", "?unit=21181", http.StatusOK, true},
		{"lan", "?unit=00001", http.StatusNotFound, false}, // Hà Nội's, not lan's
		{"tho", "", http.StatusOK, false},
		{"hai", "", http.StatusOK, true},
		{"cntt", "", http.StatusOK, true},
		{"cntt", "?unit=21175", http.StatusOK, false},
		{"cntt", "?unit=21181", http.StatusOK, true},
		{"kiemtoan", "", http.StatusOK, true},
	} {
		t.Run(tc.user+tc.query, func(t *testing.T) {
			b := newBrowser(t, s.srv.URL).mustLogin(tc.user)
			resp, body := b.do(http.MethodGet, "/review"+tc.query, nil)
			if resp.StatusCode != tc.status || strings.Contains(body, row) != tc.lists {
				t.Errorf("GET /review%s as %s: %d, lists failed record %d: %v; want %d, %v", tc.query, tc.user, resp.StatusCode, s.failed.ID, strings.Contains(body, row), tc.status, tc.lists)
			}
		})
	}
	// The failed record's page says what to do and offers no confirmation.
	b := newBrowser(t, s.srv.URL).mustLogin("lan")
	resp, body := b.do(http.MethodGet, "/review/"+itoa(s.failed.ID), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="failed-hint"`) || strings.Contains(body, `id="confirm"`) ||
		!strings.Contains(body, `data-status="failed"`) {
		t.Errorf("review page of a failed record: %d, want the hint and no confirm button\n%.400s", resp.StatusCode, body)
	}
}

// TestFieldBoxes: each field's words are found as the page writes them —
// the number with the punctuation around it, the day spelt out, the
// type's name in capitals — and placed as percents of the page.
func TestFieldBoxes(t *testing.T) {
	t.Parallel()
	words := strings.Fields("CỘNG HÒA XÃ HỘI Số: 86/QĐ-UBND, Tịnh Phong, ngày 16 tháng 01 năm 2025 QUYẾT ĐỊNH Về việc cấp giấy phép xây dựng")
	pg := catalog.Page{RecordID: 1, N: 1}
	pg.Width, pg.Height = 1000, 2000
	for i, w := range words {
		pg.Words = append(pg.Words, ocr.Word{Text: w, Box: image.Rect(10*i, 20*i, 10*i+8, 20*i+10), Line: i / 4})
	}
	rec := catalog.Record{ID: 1,
		DocType: catalog.Field{Value: "quyet-dinh"}, Number: catalog.Field{Value: "86/QĐ-UBND"}, Issued: catalog.Field{Value: "2025-01-16"},
		Subject: catalog.Field{Value: "Về việc cấp giấy phép xây dựng"}, Issuer: catalog.Field{Value: "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"}}
	got := map[string][]string{}
	for _, b := range fieldBoxes(rec, []catalog.Page{pg}) {
		got[b.Field] = append(got[b.Field], b.Word)
		if i := slices.Index(words, b.Word); b.Box != pg.Words[i].Box || b.Left != float64(10*i)/10 || b.Top != float64(20*i)/20 {
			t.Errorf("%s word %q at %v (%.1f%%, %.1f%%), want its stored box", b.Field, b.Word, b.Box, b.Left, b.Top)
		}
	}
	want := map[string][]string{
		"number":    {"86/QĐ-UBND,"},
		"issued_on": {"ngày", "16", "tháng", "01", "năm", "2025"},
		"doc_type":  {"QUYẾT", "ĐỊNH"},
		"subject":   strings.Fields("Về việc cấp giấy phép xây dựng"),
	}
	for f, w := range want {
		if !slices.Equal(got[f], w) {
			t.Errorf("%s marks %q, want %q", f, got[f], w)
		}
	}
	if len(got["issuer"]) != 0 {
		t.Errorf("an issuer the page does not say is marked at %q", got["issuer"])
	}
}
