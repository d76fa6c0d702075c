package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sohoa/ocr"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/dvhc"
	"sohoa/storage/catalog/sqlite"
)

// searchData makes a data folder whose catalog holds the real units and
// four records with text, and returns the folder and the records' ids in
// the order added.
func searchData(t *testing.T) (string, []int64) {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := dvhc.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceUnits(ctx, cat.Units, cat.Merges, catalog.Event{Actor: "test", Action: "units_import"}); err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Clerk: "Lan", Key: "search"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, r := range []struct {
		unit, typ, field, number, issued, subject, text string
		status                                          catalog.Status
	}{
		{"21181", "quyet-dinh", "dat-dai", "86/QĐ-UBND", "2024-02-20", "Quyết định về việc giao đất cho hộ ông Nguyễn Văn An",
			"QUYẾT ĐỊNH về việc giao đất ở cho hộ ông Nguyễn Văn An tại thôn Phong Niên, xã Tịnh Phong.", catalog.StatusDigitized},
		{"21175", "quyet-dinh", "dat-dai", "86/QD-UBND", "2024-11-02", "Quyết định thu hồi đất",
			"Thu hồi đất của hộ bà Trần Thị Bình để bồi thường, làm đường giao thông.", catalog.StatusNeedsReview},
		{"00004", "quyet-dinh", "xay-dung", "86/QĐ-UBND", "2024-05-05", "Quyết định cấp giấy phép xây dựng",
			"Cấp giấy phép xây dựng nhà ở cho ông Lê Văn Cường.", catalog.StatusDigitized},
		{"21181", "giay-khai-sinh", "ho-tich", "15/2024", "2024-06-01", "Giấy khai sinh của cháu Đặng Thị Hoà",
			"GIẤY KHAI SINH Họ, chữ đệm, tên: ĐẶNG THỊ HOÀ", catalog.StatusDigitized},
	} {
		at := time.Date(2024, 7, 1+i, 9, 0, 0, 0, time.UTC)
		rec := catalog.Record{BatchID: b.ID, Unit: r.unit, Source: fmt.Sprintf("%d.pdf", i), Status: r.status, Pages: 1, CreatedAt: at}
		rec.DocType.Value, rec.Field.Value, rec.Number.Value, rec.Issued.Value, rec.Subject.Value = r.typ, r.field, r.number, r.issued, r.subject
		rec, err := db.AddRecord(ctx, rec, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutPage(ctx, catalog.Page{RecordID: rec.ID, N: 1, Source: "ocr", Page: ocr.Page{Text: r.text}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	return data, ids
}

func TestSearchCommand(t *testing.T) {
	t.Parallel()
	data, ids := searchData(t)
	giaoDat, thuHoi, hanoi, khaiSinh := ids[0], ids[1], ids[2], ids[3]
	searchJSON := func(t *testing.T, args ...string) []map[string]any {
		t.Helper()
		out, stderr, code := sohoa(t, append([]string{"search", "--data", data, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("search %v: exit %d\n%s", args, code, stderr)
		}
		var hits []map[string]any
		if err := json.Unmarshal([]byte(out), &hits); err != nil {
			t.Fatalf("search %v: %v\n%s", args, err, out)
		}
		return hits
	}
	idsOf := func(hits []map[string]any) []int64 {
		var out []int64
		for _, h := range hits {
			id, _ := h["id"].(float64)
			out = append(out, int64(id))
		}
		return out
	}

	t.Run("words without accents", func(t *testing.T) {
		hits := searchJSON(t, "giao", "dat", "nguyen", "van", "an")
		if !slices.Equal(idsOf(hits), []int64{giaoDat}) {
			t.Fatalf("hits %v, want [%d]", idsOf(hits), giaoDat)
		}
		for _, k := range []string{"id", "number", "subject", "snippet", "score", "unit", "doc_type", "field", "status", "issued_on"} {
			if _, ok := hits[0][k]; !ok {
				t.Errorf("search --json lacks %q", k)
			}
		}
		if hits[0]["unit"] != "21181" || hits[0]["doc_type"] != "quyet-dinh" || hits[0]["issued_on"] != "2024-02-20" {
			t.Errorf("hit %v", hits[0])
		}
		if s, _ := hits[0]["snippet"].(string); !strings.Contains(s, "[giao] [đất]") {
			t.Errorf("snippet %q does not mark the matches", s)
		}
	})
	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want []int64
		}{
			{[]string{"--number", "86 qd ubnd"}, []int64{hanoi, thuHoi, giaoDat}},
			{[]string{"--number", "86/qđ-ubnd", "--unit", "51"}, []int64{thuHoi, giaoDat}},
			{[]string{"--unit", "21181"}, []int64{khaiSinh, thuHoi, giaoDat}}, // 21175 went whole into 21181
			{[]string{"--unit", "527"}, []int64{khaiSinh, thuHoi, giaoDat}},   // their district until 30 June 2025
			{[]string{"--type", "quyết định", "--field", "xay-dung"}, []int64{hanoi}},
			{[]string{"--status", "needs_review"}, []int64{thuHoi}},
			{[]string{"--issued-from", "01/06/2024", "--issued-to", "2024-12-31"}, []int64{khaiSinh, thuHoi}},
			{[]string{"--ingested-from", "2024-07-02", "--ingested-to", "2024-07-03", "--level", "xa"}, []int64{hanoi, thuHoi}},
			{[]string{"dat", "--unit", "51", "--type", "quyet-dinh", "--issued-from", "2024-03-01"}, []int64{thuHoi}},
			{[]string{`"giao dat"`}, []int64{giaoDat}},
			{[]string{"boi thuong*"}, []int64{thuHoi}},
			{[]string{"--unit", "01", "giao"}, nil},
		} {
			if got := idsOf(searchJSON(t, tc.args...)); !slices.Equal(got, tc.want) {
				t.Errorf("search %q: %v, want %v", tc.args, got, tc.want)
			}
		}
	})
	t.Run("pages", func(t *testing.T) {
		var paged []int64
		for offset := 0; offset < 6; offset += 2 {
			paged = append(paged, idsOf(searchJSON(t, "--number", "86 QĐ UBND", "--limit", "2", "--offset", fmt.Sprint(offset)))...)
		}
		if want := []int64{hanoi, thuHoi, giaoDat}; !slices.Equal(paged, want) {
			t.Errorf("pages of 2: %v, want %v", paged, want)
		}
		_, stderr, _ := sohoa(t, "search", "--data", data, "--number", "86 QĐ UBND", "--limit", "2")
		if !strings.Contains(stderr, "--offset 2") {
			t.Errorf("a full page does not say how to get the next: %q", stderr)
		}
	})
	t.Run("text output", func(t *testing.T) {
		out, stderr, code := sohoa(t, "search", "--data", data, "giao", "dat", "nguyen")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{fmt.Sprintf("#%d", giaoDat), "86/QĐ-UBND", "21181 · Quyết định · 2024-02-20 · digitized", "[giao] [đất]", "1 kết quả"} {
			if !strings.Contains(out+stderr, want) {
				t.Errorf("output lacks %q:\n%s%s", want, out, stderr)
			}
		}
	})
	t.Run("mistakes are usage errors that name the flag", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{nil, "give words to search for, or a filter"},
			{[]string{"--issued-from", "2024-13-01"}, `--issued-from "2024-13-01"`},
			{[]string{"--ingested-from", "2024-02-01", "--ingested-to", "2024-01-01"}, "--ingested-to"},
			{[]string{"--type", "sac-lenh"}, "quyet-dinh"},
			{[]string{"--level", "thon"}, "commune"},
			{[]string{"--status", "xong"}, "needs_review"},
			{[]string{"--unit", "Tinh Phong"}, "--unit"},
			{[]string{"dat", "--limit", "0"}, "--limit"},
			{[]string{"dat", "--offset", "-5"}, "--offset"},
		} {
			_, stderr, code := sohoa(t, append([]string{"search", "--data", data}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("search %q: exit %d, %q; want %d mentioning %q", tc.args, code, stderr, exitUsage, tc.want)
			}
		}
	})
}
