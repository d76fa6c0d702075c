package main

import (
	"context"
	"fmt"

	"sohoa/cmd/sohoa/internal/dashboard"
)

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "search", "[TỪ KHÓA...] [--unit MÃ] [--type LOẠI] [--issued-from NGÀY] ... [--limit N] [--offset N] [--json]", `
Tìm trong toàn văn và các trường của mọi hồ sơ, không phân biệt dấu và hoa
thường (đ = d): "quyet dinh dat dai" tìm được "Quyết định … đất đai".
"cụm từ trong ngoặc kép" tìm nguyên cụm; thêm * để tìm theo tiền tố (bổ*).
Kết quả khớp nhất đứng trước, chỗ khớp trong đoạn trích nằm trong [ ].
Lọc thêm theo đơn vị (gồm mọi đơn vị trực thuộc), cấp, loại văn bản, lĩnh
vực, trạng thái, ngày ban hành, ngày nhập kho, số ký hiệu (gõ sao cũng
được: 86/QD-UBND, 86 qđ ubnd). Chỉ lọc, không từ khóa: mới nhập trước.

Search the text and fields of every record, ignoring accents and case
(đ = d); "quoted phrases" match as a whole; a trailing * matches a prefix.
Best hits first, matches in [ ] in the snippet. Filter by unit (with
every unit under it), level, type, field, status, issue and ingest days,
and number however it is typed. With filters and no words: newest first.

Ví dụ / examples:
  sohoa search giao dat nguyen van an
  sohoa search '"quyen su dung dat"' --unit 51 --type quyet-dinh
  sohoa search --number "86 qd ubnd"
  sohoa search --unit 21199 --field dat-dai --issued-from 01/01/2024 --issued-to 31/12/2024
  sohoa search 'boi thuong*' --status needs_review --offset 20 --json`)
	limit := fs.Int("limit", 20, "tối đa / at most this many hits")
	offset := fs.Int("offset", 0, "bỏ qua N kết quả đầu (trang sau) / skip the first N hits (next page)")
	asJSON := fs.Bool("json", false, "in JSON (một mảng) / print a JSON array")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	query := addQueryFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	q, err := query(pos)
	if err != nil {
		return err
	}
	if q.Text == "" && !queryFiltered(q) {
		return usagef("chưa có từ khóa hay bộ lọc nào (give words to search for, or a filter such as --unit)")
	}
	if *limit < 1 {
		return usagef("--limit %d: cần ít nhất 1 (give at least 1)", *limit)
	}
	if *offset < 0 {
		return usagef("--offset %d: không được âm (must not be negative)", *offset)
	}
	q.Limit, q.Offset = *limit, *offset
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	hits, err := dashboard.FindHits(ctx, db, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, hits)
	}
	for _, h := range hits {
		fmt.Fprintf(e.stdout, "#%d  %s  %s\n", h.ID, orDash(h.Number), clip(h.Subject, 80))
		fmt.Fprintf(e.stdout, "    %s · %s · %s · %s\n", orDash(h.Unit), orDash(typeLabel(h)),
			orDash(h.IssuedOn), h.Status)
		if h.Snippet != "" {
			fmt.Fprintf(e.stdout, "    %s\n", h.Snippet)
		}
	}
	if len(hits) == *limit {
		fmt.Fprintf(e.stderr, "%d kết quả từ số %d; trang sau: --offset %d (%d hits from %d; next page: --offset %d)\n",
			len(hits), *offset+1, *offset+*limit, len(hits), *offset+1, *offset+*limit)
	} else {
		fmt.Fprintf(e.stderr, "%d kết quả (hits)\n", len(hits))
	}
	return nil
}

// typeLabel is a hit's document type by its name, or its slug when it
// has no name.
func typeLabel(h dashboard.SearchHit) string {
	if h.DocTypeName != "" {
		return h.DocTypeName
	}
	return h.DocType
}
