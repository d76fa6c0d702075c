package main

import (
	"context"
	"fmt"
	"strings"
)

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "search", "[--limit N] [--json] TỪ KHÓA...", `
Tìm trong toàn văn và các trường của mọi hồ sơ, không phân biệt dấu và hoa
thường (đ = d): "quyet dinh dat dai" tìm được "Quyết định … đất đai".
"cụm từ trong ngoặc kép" tìm nguyên cụm; thêm * để tìm theo tiền tố (bổ*).
Search the text and fields of every record, ignoring accents and case
(đ = d); "quoted phrases" match as a whole; a trailing * matches a prefix.`)
	limit := fs.Int("limit", 20, "tối đa / at most this many hits")
	asJSON := fs.Bool("json", false, "in JSON (một mảng) / print a JSON array")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		return usagef("chưa có từ khóa (give words to search for)")
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	hits, err := st.catalog.Search(ctx, query, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		type hitJSON struct {
			ID      int64   `json:"id"`
			Number  string  `json:"number"`
			Subject string  `json:"subject"`
			Snippet string  `json:"snippet"`
			Score   float64 `json:"score"`
		}
		out := make([]hitJSON, 0, len(hits))
		for _, h := range hits {
			out = append(out, hitJSON{h.RecordID, h.Number, h.Subject, h.Snippet, round3(h.Score)})
		}
		return writeJSON(e.stdout, out)
	}
	for _, h := range hits {
		fmt.Fprintf(e.stdout, "#%d  %s  %s\n    %s\n", h.RecordID, orDash(h.Number), clip(h.Subject, 80), h.Snippet)
	}
	fmt.Fprintf(e.stderr, "%d kết quả (hits)\n", len(hits))
	return nil
}
