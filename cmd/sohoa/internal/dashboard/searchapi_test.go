package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"sohoa/ocr"
	"sohoa/storage/catalog"
)

// searchSeeded is seed's catalog with three decisions that have text: two
// numbered 86/QĐ-UBND in Quảng Ngãi (one under Xã Tịnh Thọ, 21175, which
// went whole into 21181), one with the same number in Hà Nội.
type searchSeeded struct {
	seeded
	tinhPhong, tinhTho, hanoi int64
}

func seedSearch(t *testing.T) searchSeeded {
	t.Helper()
	s := searchSeeded{seeded: seed(t)}
	ctx := context.Background()
	b, err := s.db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Key: "search"})
	if err != nil {
		t.Fatal(err)
	}
	add := func(unit, number, issued, subject, text string, at time.Time) int64 {
		t.Helper()
		r := catalog.Record{BatchID: b.ID, Unit: unit, Source: fmt.Sprintf("qd-%s-%d.pdf", unit, at.Unix()), Status: catalog.StatusDigitized,
			Pages: 1, CreatedAt: at, UpdatedAt: at}
		r.DocType.Value, r.Field.Value, r.Number.Value, r.Issued.Value, r.Subject.Value = "quyet-dinh", "dat-dai", number, issued, subject
		r.Issuer.Value = "ỦY BAN NHÂN DÂN"
		r, err := s.db.AddRecord(ctx, r, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.db.PutPage(ctx, catalog.Page{RecordID: r.ID, N: 1, Source: "ocr", Page: ocr.Page{Text: text}}); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	s.tinhPhong = add("21181", "86/QĐ-UBND", "2024-02-20", "Quyết định về việc giao đất cho hộ ông Nguyễn Văn An",
		"QUYẾT ĐỊNH về việc giao đất ở cho hộ ông Nguyễn Văn An tại thôn Phong Niên.", time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC))
	s.tinhTho = add("21175", "086/qđ-ubnd", "2025-01-10", "Quyết định thu hồi đất",
		"Thu hồi đất của hộ bà Trần Thị Bình để làm đường giao thông.", time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC))
	s.hanoi = add("00004", "86/QĐ-UBND", "2024-05-05", "Quyết định giao đất",
		"Giao đất cho ông Lê Văn Cường tại phường Phúc Xá.", time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))
	return s
}

func searchAPI(t *testing.T, s searchSeeded, params url.Values) (int, SearchAnswer, string) {
	t.Helper()
	code, body := get(t, s.srv.URL+"/api/search?"+params.Encode())
	var ans SearchAnswer
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatalf("/api/search?%s: %v\n%s", params.Encode(), err, body)
		}
	}
	return code, ans, body
}

func answerIDs(a SearchAnswer) []int64 {
	var ids []int64
	for _, h := range a.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func TestSearchAPI(t *testing.T) {
	t.Parallel()
	s := seedSearch(t)
	ctx := context.Background()

	t.Run("words without accents, with the record's fields", func(t *testing.T) {
		code, ans, body := searchAPI(t, s, url.Values{"q": {"giao dat nguyen van an"}})
		if code != http.StatusOK || !slices.Equal(answerIDs(ans), []int64{s.tinhPhong}) {
			t.Fatalf("%d %v, want [%d]\n%s", code, answerIDs(ans), s.tinhPhong, body)
		}
		h := ans.Hits[0]
		want := SearchHit{ID: s.tinhPhong, Number: "86/QĐ-UBND", Unit: "21181", DocType: "quyet-dinh", DocTypeName: "Quyết định",
			Field: "dat-dai", FieldName: "Đất đai", Status: catalog.StatusDigitized, IssuedOn: "2024-02-20", Issuer: "ỦY BAN NHÂN DÂN",
			Source: "qd-21181-1709283600.pdf", Pages: 1, IngestedAt: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC), URL: fmt.Sprintf("/records/%d", s.tinhPhong)}
		got := h
		got.Subject, got.Snippet, got.Score = "", "", 0
		if got != want {
			t.Errorf("hit\n %+v\nwant\n %+v", got, want)
		}
		if !strings.Contains(h.Snippet, "[giao] [đất]") || !strings.Contains(h.Snippet, "[Nguyễn] [Văn] [An]") || h.Score <= 0 {
			t.Errorf("snippet %q score %v: want the matches in [ ] and a positive score", h.Snippet, h.Score)
		}
		if ans.Query["q"] != "giao dat nguyen van an" || ans.Limit != apiSearchLimit || ans.Offset != 0 || ans.More {
			t.Errorf("answer %+v", ans)
		}
		for _, key := range []string{`"id"`, `"number"`, `"subject"`, `"snippet"`, `"score"`, `"unit"`, `"doc_type"`, `"issued_on"`, `"hits"`, `"more"`} {
			if !strings.Contains(body, key) {
				t.Errorf("body lacks %s", key)
			}
		}
	})
	t.Run("number typed loosely, in a province and below", func(t *testing.T) {
		_, ans, _ := searchAPI(t, s, url.Values{"number": {"86 qd ubnd"}})
		if want := []int64{s.hanoi, s.tinhTho, s.tinhPhong}; !slices.Equal(answerIDs(ans), want) {
			t.Errorf("number anywhere: %v, want %v (newest first)", answerIDs(ans), want)
		}
		_, ans, _ = searchAPI(t, s, url.Values{"number": {"86/qđ-ubnd"}, "unit": {"51"}})
		if want := []int64{s.tinhTho, s.tinhPhong}; !slices.Equal(answerIDs(ans), want) {
			t.Errorf("number in 51: %v, want %v", answerIDs(ans), want)
		}
	})
	t.Run("filters and paging agree with the catalog", func(t *testing.T) {
		for _, tc := range []struct {
			params url.Values
			q      catalog.Query
		}{
			{url.Values{}, catalog.Query{}},
			{url.Values{"unit": {"21181"}}, catalog.Query{Unit: "21181"}},
			{url.Values{"q": {"dat"}, "type": {"Quyết định"}, "issued_from": {"01/01/2024"}, "issued_to": {"2025-12-31"}},
				catalog.Query{Text: "dat", DocType: "quyet-dinh", IssuedFrom: "2024-01-01", IssuedTo: "2025-12-31"}},
			{url.Values{"level": {"xã"}, "status": {"digitized"}, "ingested_from": {"2024-01-01"}},
				catalog.Query{Level: "commune", Status: catalog.StatusDigitized, IngestedFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local)}},
		} {
			tc.q.Limit = 100
			want, err := s.db.SearchRecords(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 3 {
				t.Fatalf("%+v: %d hits, too few to page", tc.q, len(want))
			}
			var paged []int64
			for offset := 0; ; offset += 2 {
				p := url.Values{"limit": {"2"}, "offset": {fmt.Sprint(offset)}}
				for k, v := range tc.params {
					p[k] = v
				}
				code, ans, body := searchAPI(t, s, p)
				if code != http.StatusOK {
					t.Fatalf("%v: %d %s", p, code, body)
				}
				paged = append(paged, answerIDs(ans)...)
				if !ans.More {
					break
				}
			}
			if !slices.Equal(paged, hitIDsOf(want)) {
				t.Errorf("%v: pages give %v, the catalog %v", tc.params, paged, hitIDsOf(want))
			}
		}
	})
	t.Run("bad parameters are 400 and say what to write", func(t *testing.T) {
		for _, tc := range []struct {
			params url.Values
			want   string
		}{
			{url.Values{"issued_from": {"31/02/2024"}}, "issued_from"},
			{url.Values{"issued_from": {"2024-05-01"}, "issued_to": {"2024-04-01"}}, "issued_to"},
			{url.Values{"ingested_to": {"hôm qua"}}, "2025-01-16"},
			{url.Values{"type": {"sắc lệnh"}}, "quyet-dinh"},
			{url.Values{"level": {"village"}}, "commune"},
			{url.Values{"status": {"done"}}, "needs_review"},
			{url.Values{"unit": {"Tịnh Phong"}}, "21199"},
			{url.Values{"number": {"//"}}, "86/QĐ-UBND"},
			{url.Values{"limit": {"0"}}, "limit"},
			{url.Values{"limit": {"1000"}}, "100"},
			{url.Values{"offset": {"-1"}}, "offset"},
		} {
			code, body := get(t, s.srv.URL+"/api/search?"+tc.params.Encode())
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); code != http.StatusBadRequest || err != nil || !strings.Contains(e.Error, tc.want) {
				t.Errorf("%v: %d %s, want 400 with an error mentioning %q", tc.params, code, body, tc.want)
			}
		}
	})
}

func hitIDsOf(hits []catalog.Hit) []int64 {
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.RecordID)
	}
	return ids
}
