package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
	"sohoa/storage/evidence"
)

// recordJSON is the stable JSON contract of a record: scripts and checks
// depend on these names. It is the record.json of an evidence bag, so
// the two cannot drift apart.
type recordJSON = evidence.Metadata

func toJSON(r catalog.Record, text string) recordJSON { return evidence.NewMetadata(r, text) }

// recordText joins a record's page texts, pages separated by a form feed.
func recordText(ctx context.Context, c catalog.Catalog, id int64) (string, error) {
	pgs, err := c.Pages(ctx, id)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(pgs))
	for i, p := range pgs {
		parts[i] = p.Text
	}
	return strings.Join(parts, "\n\f"), nil
}

// recordLine is the one-line result a clerk reads.
func recordLine(r catalog.Record) string {
	mark := map[catalog.Status]string{
		catalog.StatusDigitized: "✓", catalog.StatusNeedsReview: "?", catalog.StatusFailed: "✗", catalog.StatusDuplicate: "=",
	}[r.Status]
	if mark == "" {
		mark = "·"
	}
	label := map[catalog.Status]string{
		catalog.StatusDigitized: "đã số hóa", catalog.StatusNeedsReview: "cần kiểm tra", catalog.StatusFailed: "lỗi",
		catalog.StatusDuplicate: "trùng", catalog.StatusQueued: "chờ", catalog.StatusProcessing: "đang xử lý",
	}[r.Status]
	s := fmt.Sprintf("%s #%d %s [%s/%s]", mark, r.ID, sourcePages(r), label, r.Status)
	if r.Status == catalog.StatusDigitized || r.Status == catalog.StatusNeedsReview {
		s += fmt.Sprintf(" %s", orDash(classify.TypeName(r.DocType.Value)))
		s += fmt.Sprintf(" · số %s · ngày %s · %d trang", orDash(r.Number.Value), orDash(r.Issued.Value), r.Pages)
		if r.Subject.Value != "" {
			s += " · " + clip(r.Subject.Value, 70)
		}
	}
	if r.Error != "" {
		s += "\n    " + r.Error
	}
	return s
}

// sourcePages names the record's file, with its page range when it is one
// document of a split stack: "stack.pdf pp. 4–7".
func sourcePages(r catalog.Record) string {
	switch {
	case r.FirstPage == 0:
		return r.Source
	case r.FirstPage == r.LastPage:
		return fmt.Sprintf("%s p. %d", r.Source, r.FirstPage)
	}
	return fmt.Sprintf("%s pp. %d–%d", r.Source, r.FirstPage, r.LastPage)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func runList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "list", "[tùy chọn]", `
Liệt kê hồ sơ, cũ trước. Lọc theo đơn vị, trạng thái, loại văn bản.
List records, oldest first, filtered by unit, status or document type.
Statuses: digitized, needs_review, failed, duplicate, queued, processing.`)
	unit := fs.String("unit", "", "mã đơn vị / unit code")
	status := fs.String("status", "", "trạng thái / status")
	typ := fs.String("type", "", "loại văn bản (slug), ví dụ quyet-dinh / document type")
	limit := fs.Int("limit", 0, "tối đa / at most this many (0: all)")
	asJSON := fs.Bool("json", false, "in JSON (một mảng) / print a JSON array")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *status != "" && !validStatus(catalog.Status(*status)) {
		return usagef("--status %q: dùng / use digitized, needs_review, failed, duplicate, queued, processing", *status)
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	recs, err := st.catalog.List(ctx, catalog.Filter{Unit: *unit, Status: catalog.Status(*status), DocType: *typ, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]recordJSON, 0, len(recs))
		for _, r := range recs {
			text, err := recordText(ctx, st.catalog, r.ID)
			if err != nil {
				return err
			}
			out = append(out, toJSON(r, text))
		}
		return writeJSON(e.stdout, out)
	}
	for _, r := range recs {
		fmt.Fprintln(e.stdout, recordLine(r))
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stderr, "Không có hồ sơ nào khớp (no matching records).")
	}
	return nil
}

func validStatus(s catalog.Status) bool {
	switch s {
	case catalog.StatusDigitized, catalog.StatusNeedsReview, catalog.StatusFailed, catalog.StatusDuplicate,
		catalog.StatusQueued, catalog.StatusProcessing:
		return true
	}
	return false
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%q không phải mã hồ sơ (not a record id)", s)
	}
	return id, nil
}

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "show", "[--json] ID", `
Xem đầy đủ một hồ sơ: các trường trích xuất với độ tin cậy, văn bản nhận dạng,
khóa bản gốc và bản lưu trữ, lịch sử.
Show one record: extracted fields with confidences, OCR text, object keys, history.
Mỗi lần xem được ghi vào nhật ký kiểm toán / each view is logged in the audit trail.`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người xem, ghi vào nhật ký / who is viewing, for the audit log (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một mã hồ sơ (give exactly one record id)")
	}
	id, err := parseID(pos[0])
	if err != nil {
		return err
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.record(ctx, id)
	if err != nil {
		return err
	}
	text, err := recordText(ctx, st.catalog, id)
	if err != nil {
		return err
	}
	// The view is logged before anything is shown: no unlogged look.
	if err := logAccess(ctx, st, "view", *actor, id, map[string]any{"via": "cli"}); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, toJSON(r, text))
	}
	w := e.stdout
	fmt.Fprintln(w, recordLine(r))
	row := func(label string, f catalog.Field) {
		fmt.Fprintf(w, "  %-34s %s", label, orDash(f.Value))
		if f.Value != "" {
			fmt.Fprintf(w, "  (%.0f%%)", f.Confidence*100)
		}
		fmt.Fprintln(w)
	}
	typ := r.DocType
	if typ.Value != "" {
		typ.Value = classify.TypeName(typ.Value) + " (" + typ.Value + ")"
	}
	row("Loại văn bản / type:", typ)
	row("Lĩnh vực / field:", r.Field)
	row("Số ký hiệu / number:", r.Number)
	row("Ngày ban hành / issued:", r.Issued)
	row("Cơ quan ban hành / issuer:", r.Issuer)
	row("Trích yếu / subject:", r.Subject)
	fmt.Fprintf(w, "  %-34s %d, OCR %.0f%%\n", "Số trang / pages:", r.Pages, r.OCRConfidence*100)
	fmt.Fprintf(w, "  %-34s %s (%s, %d bytes)\n", "Bản gốc / original:", r.Original, r.ContentType, r.Size)
	fmt.Fprintf(w, "  %-34s %s\n", "sha256:", r.SHA256)
	fmt.Fprintf(w, "  %-34s %s\n", "Bản lưu trữ / archive:", orDash(r.Archive))
	events, err := st.catalog.Events(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nLịch sử / history:")
	for _, ev := range events {
		fmt.Fprintf(w, "  %s  %-9s %-10s %s\n", ev.At.Local().Format("2006-01-02 15:04:05"), ev.Actor, ev.Action, ev.Details)
	}
	fmt.Fprintln(w, "\nVăn bản nhận dạng / OCR text:")
	fmt.Fprintln(w, text)
	return nil
}

func runGet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "get", "[--archive] -o TỆP ID", `
Ghi bản gốc nguyên vẹn của hồ sơ (hoặc bản PDF/A lưu trữ với --archive) ra tệp,
kiểm tra sha256 khi chép. "-o -" ghi ra stdout.
Write a record's untouched original (or its archival PDF with --archive) to a
file, checking its sha256 on the way; "-o -" writes to stdout.
Mỗi lần tải được ghi vào nhật ký kiểm toán / each download is logged in the audit trail.`)
	arch := fs.Bool("archive", false, "lấy bản PDF/A lưu trữ / the archival PDF instead of the original")
	outPath := fs.String("o", "", "tệp ghi ra / output file (- for stdout)")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người tải, ghi vào nhật ký / who is downloading, for the audit log (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một mã hồ sơ (give exactly one record id)")
	}
	if *outPath == "" {
		return usagef("thiếu -o TỆP (give -o FILE)")
	}
	id, err := parseID(pos[0])
	if err != nil {
		return err
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.record(ctx, id)
	if err != nil {
		return err
	}
	key := r.Original
	if *arch {
		if r.Archive == "" {
			return fmt.Errorf("hồ sơ #%d chưa có bản lưu trữ (status %s) (record %d has no archival copy yet)", id, r.Status, id)
		}
		key = r.Archive
	}
	copyOf := "original"
	if *arch {
		copyOf = "archive"
	}
	// The download is logged before a byte leaves the store.
	if err := logAccess(ctx, st, "download", *actor, id, map[string]any{"via": "cli", "what": copyOf, "key": key, "out": *outPath}); err != nil {
		return err
	}
	return copyObject(ctx, st, key, *outPath, e.stdout)
}

// logAccess appends a view or download of a record to the audit log; the
// access is refused if it cannot be logged.
func logAccess(ctx context.Context, st *stores, action, actor string, id int64, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	if err := st.catalog.AppendEvent(ctx, catalog.Event{Actor: actorName(actor), Action: action, RecordID: id, Details: string(b)}); err != nil {
		return fmt.Errorf("không ghi được nhật ký kiểm toán nên không mở hồ sơ #%d; thử lại hoặc báo CNTT (could not log the access to record %d, so it was refused): %w", id, id, err)
	}
	return nil
}

// copyObject streams an object to path (or w for "-"), checking the bytes
// against the sha256 the store recorded; a mismatch removes the file.
func copyObject(ctx context.Context, st *stores, key, path string, stdout io.Writer) error {
	rc, info, err := st.objects.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read %s from the store: %w", key, err)
	}
	defer rc.Close()
	var w io.Writer = stdout
	var f *os.File
	if path != "-" {
		f, err = os.CreateTemp(filepath.Dir(path), ".sohoa-get-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		w = f
	}
	h := newSHA256()
	if _, err := io.Copy(io.MultiWriter(w, h), rc); err != nil {
		return fmt.Errorf("copy %s: %w", key, err)
	}
	if got := h.hex(); info.SHA256 != "" && got != info.SHA256 {
		return fmt.Errorf("%s: nội dung không khớp sha256 đã lưu (%s ≠ %s) — bản lưu có thể đã bị sửa; báo CNTT (content does not match its recorded sha256: tell IT)", key, got, info.SHA256)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		return os.Rename(f.Name(), path)
	}
	return nil
}
