package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sohoa/ocr"
	"sohoa/storage/catalog"
)

func TestMarkSnippet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"cho hộ ông [giao] [đất]", "cho hộ ông <mark>giao</mark> <mark>đất</mark>"},
		{"<script>alert('[ocr]')</script>", "&lt;script&gt;alert(&#39;<mark>ocr</mark>&#39;)&lt;/script&gt;"},
		{`[<img src=x onerror="alert(1)">]`, `<mark>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</mark>`},
		{"a & b [c", "a &amp; b [c"},
		{"x] y [z] [", "x] y <mark>z</mark> ["},
		{"", ""},
	} {
		if got := string(markSnippet(tc.in)); got != tc.want {
			t.Errorf("markSnippet(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// hitIDs are the record ids the search page lists, in order.
func hitIDs(page string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<article class="hit" data-record="(\d+)"`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestSearchPage(t *testing.T) {
	t.Parallel()
	e := seedEvidence(t, nil)
	ctx := context.Background()
	b, err := e.db.OpenBatch(ctx, catalog.Batch{Unit: "21100", Key: "minutes"})
	if err != nil {
		t.Fatal(err)
	}
	// 23 minutes of meetings, for paging.
	for i := range 23 {
		at := time.Date(2026, 4, 1, 9, i, 0, 0, time.UTC)
		r, err := e.db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: "21100", Source: fmt.Sprintf("bb-%02d.pdf", i), SHA256: fmt.Sprintf("%064x", i+1),
			Status: catalog.StatusNeedsReview, Pages: 1, CreatedAt: at, UpdatedAt: at}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.PutPage(ctx, catalog.Page{RecordID: r.ID, N: 1, Source: "ocr", Page: ocr.Page{Text: fmt.Sprintf("BIÊN BẢN họp dân thôn %d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	search := func(t *testing.T, params url.Values) (int, string) {
		t.Helper()
		resp, body := request(t, e.srv.URL+"/search?"+params.Encode(), "")
		return resp.StatusCode, string(body)
	}
	done := fmt.Sprint(e.done.ID)

	t.Run("words without accents find the record, highlighted", func(t *testing.T) {
		code, page := search(t, url.Values{"q": {"giao dat nguyen van duc"}})
		if code != http.StatusOK || len(hitIDs(page)) != 1 || hitIDs(page)[0] != done {
			t.Fatalf("search: %d, hits %v, want record %s alone\n%s", code, hitIDs(page), done, page)
		}
		for _, want := range []string{`href="/records/` + done + `"`, "<mark>giao</mark>", "<mark>đất</mark>", "<mark>Đức</mark>", "86/QĐ-UBND", "Quyết định"} {
			if !strings.Contains(page, want) {
				t.Errorf("results lack %q", want)
			}
		}
	})
	t.Run("OCR text in a snippet is never markup", func(t *testing.T) {
		code, page := search(t, url.Values{"q": {"script alert ocr"}})
		if code != http.StatusOK || len(hitIDs(page)) != 1 {
			t.Fatalf("search: %d, hits %v, want one\n%s", code, hitIDs(page), page)
		}
		snip := regexp.MustCompile(`(?s)<p class="snippet">(.*?)</p>`).FindStringSubmatch(page)
		if snip == nil {
			t.Fatalf("no snippet:\n%s", page)
		}
		if strings.Contains(snip[1], "<script") || strings.Contains(snip[1], "<b>") || !strings.Contains(snip[1], "&lt;<mark>script</mark>&gt;") {
			t.Errorf("snippet %q: want the OCR text's tags escaped and the match marked", snip[1])
		}
	})
	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			params url.Values
			want   []string
		}{
			{"status", url.Values{"status": {"failed"}}, []string{fmt.Sprint(e.failed.ID)}},
			{"type by name, accents optional", url.Values{"type": {"quyet dinh"}}, []string{done}},
			{"field", url.Values{"q": {"giao"}, "field": {"dat-dai"}}, []string{done}},
			{"issued range holds it", url.Values{"issued_from": {"2025-01-01"}, "issued_to": {"16/01/2025"}}, []string{done}},
			{"issued range misses it", url.Values{"q": {"giao"}, "issued_from": {"2025-01-17"}}, nil},
			{"number as typed", url.Values{"number": {"86 qd ubnd"}}, []string{done}},
			{"unit and below", url.Values{"q": {"giao"}, "unit": {"21100"}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, page := search(t, tc.params)
				if got := hitIDs(page); code != http.StatusOK || strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("search %v: %d, hits %v, want %v", tc.params, code, got, tc.want)
				}
			})
		}
	})
	t.Run("pages of results", func(t *testing.T) {
		code, first := search(t, url.Values{"q": {"bien ban"}})
		if code != http.StatusOK || len(hitIDs(first)) != searchPageSize || !strings.Contains(first, `id="next"`) || strings.Contains(first, `id="prev"`) {
			t.Fatalf("page 1: %d, %d hits; want %d and a next link", code, len(hitIDs(first)), searchPageSize)
		}
		next := regexp.MustCompile(`<a href="([^"]+)" id="next"`).FindStringSubmatch(first)
		resp, body := request(t, e.srv.URL+strings.ReplaceAll(next[1], "&amp;", "&"), "")
		second := string(body)
		if resp.StatusCode != http.StatusOK || len(hitIDs(second)) != 3 || strings.Contains(second, `id="next"`) || !strings.Contains(second, `id="prev"`) {
			t.Fatalf("page 2 (%s): %d, %d hits; want 3 and a previous link", next[1], resp.StatusCode, len(hitIDs(second)))
		}
		seen := map[string]bool{}
		for _, id := range append(hitIDs(first), hitIDs(second)...) {
			if seen[id] {
				t.Errorf("record %s on both pages", id)
			}
			seen[id] = true
		}
	})
	t.Run("the export command for the same records", func(t *testing.T) {
		_, page := search(t, url.Values{"q": {"giao dat"}, "type": {"quyet-dinh"}, "issued_from": {"2025-01-01"}, "unit": {"21181"}})
		want := "sohoa export &#39;giao dat&#39; --unit 21181 --type quyet-dinh --issued-from 2025-01-01 --out ho-so.zip"
		if !strings.Contains(page, want) {
			t.Errorf("the page does not give the export command %q", want)
		}
		if _, page := search(t, nil); strings.Contains(page, `id="export-hint"`) {
			t.Error("the page offers to export every record when nothing was asked")
		}
	})
	t.Run("nothing asked shows the newest", func(t *testing.T) {
		code, page := search(t, nil)
		if code != http.StatusOK || !strings.Contains(page, "Hồ sơ mới nhất") || len(hitIDs(page)) != searchPageSize {
			t.Errorf("empty search: %d, %d hits, want the %d newest", code, len(hitIDs(page)), searchPageSize)
		}
	})
	t.Run("bad parameters say what to write", func(t *testing.T) {
		for _, params := range []url.Values{{"issued_from": {"hôm qua"}}, {"page": {"0"}}, {"status": {"xong"}}, {"unit": {"Thọ Phong"}}} {
			code, page := search(t, params)
			if code != http.StatusBadRequest || !strings.Contains(page, `id="problem"`) {
				t.Errorf("search %v: %d, want 400 with the problem on the page", params, code)
			}
		}
	})
	t.Run("the dashboard links to it", func(t *testing.T) {
		s := seed(t)
		if _, page := get(t, s.srv.URL+"/"); !strings.Contains(page, `href="/search"`) {
			t.Error("the dashboard's page has no link to /search")
		}
	})
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"21181": "21181", "2025-01-01": "2025-01-01", "giao dat": "'giao dat'", "86/QĐ-UBND": "'86/QĐ-UBND'",
		"it's": `'it'\''s'`, "": "''", "$(rm -rf ~)": "'$(rm -rf ~)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
