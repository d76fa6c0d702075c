package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sohoa/pipeline/classify"
	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

func runReview(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "review", `Cách dùng / usage: sohoa review list | set ID trường=giá-trị … | confirm ID

  list     hàng chờ kiểm tra: hồ sơ cần kiểm tra hoặc lỗi, theo đơn vị, cũ trước,
           kèm lý do và giá trị đề xuất
           the review queue: records needing a person (needs_review or failed),
           per unit, oldest first, with why and the proposed values
  set      sửa trường của một hồ sơ (mỗi lần sửa được ghi nhật ký: ai, khi nào, cũ, mới)
           correct fields of a record (each correction is logged: who, when, old, new)
  confirm  xác nhận hồ sơ: thành "đã số hóa" và được tính vào chỉ tiêu
           confirm a record: it becomes digitized and counts toward targets

Ví dụ / example:
  sohoa review list --unit 21181
  sohoa review set 12 doc_type=quyet-dinh number=86/QĐ-UBND issued_on=16/01/2025 --clerk "Nguyễn Thị Lan"
  sohoa review confirm 12 --clerk "Nguyễn Thị Lan"
`, args,
		subcommand{"list", runReviewList}, subcommand{"set", runReviewSet}, subcommand{"confirm", runReviewConfirm})
}

// reviewFieldJSON is one field as the review queue shows it.
type reviewFieldJSON struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
	// ByPerson is set when a person set the value (confidence is then 1).
	ByPerson bool `json:"by_person"`
	// Doubt is set when the confidence is below the review threshold.
	Doubt bool `json:"doubt"`
}

// reviewJSON is one record of the review queue.
type reviewJSON struct {
	ID        int64                      `json:"id"`
	Unit      string                     `json:"unit"`
	Source    string                     `json:"source"`
	Status    catalog.Status             `json:"status"`
	CreatedAt time.Time                  `json:"created_at"`
	Pages     int                        `json:"pages"`
	OCR       float64                    `json:"ocr_confidence"`
	Valid     bool                       `json:"valid"`
	Why       []string                   `json:"why"`
	Error     string                     `json:"error"`
	Fields    map[string]reviewFieldJSON `json:"fields"`
}

// reviewLabels are the review fields in display order with the words a
// clerk reads.
var reviewLabels = []struct{ name, label string }{
	{"doc_type", "Loại văn bản / type"},
	{"field", "Lĩnh vực / field"},
	{"number", "Số ký hiệu / number"},
	{"issued_on", "Ngày ban hành / issued_on"},
	{"issuer", "Cơ quan ban hành / issuer"},
	{"subject", "Trích yếu / subject"},
}

func recordFields(r catalog.Record) map[string]catalog.Field {
	return map[string]catalog.Field{"doc_type": r.DocType, "field": r.Field, "number": r.Number,
		"issued_on": r.Issued, "issuer": r.Issuer, "subject": r.Subject}
}

// reviewEntry explains why a record needs a person: the fields read below
// the pipeline's threshold (classify.DefaultThreshold) that no person set,
// the scan quality, or the failure.
func reviewEntry(ctx context.Context, db *sqlite.DB, r catalog.Record) (reviewJSON, error) {
	set, _, err := db.PersonSet(ctx, r.ID)
	if err != nil {
		return reviewJSON{}, err
	}
	valid, err := db.Valid(ctx, r.ID)
	if err != nil {
		return reviewJSON{}, err
	}
	out := reviewJSON{ID: r.ID, Unit: r.Unit, Source: r.Source, Status: r.Status, CreatedAt: r.CreatedAt,
		Pages: r.Pages, OCR: r.OCRConfidence, Valid: valid, Error: r.Error, Why: []string{}, Fields: map[string]reviewFieldJSON{}}
	thr := classify.DefaultThreshold
	for name, f := range recordFields(r) {
		_, byPerson := set[name]
		out.Fields[name] = reviewFieldJSON{Value: f.Value, Confidence: f.Confidence, ByPerson: byPerson,
			Doubt: !byPerson && r.Status != catalog.StatusFailed && f.Confidence < thr}
	}
	if r.Status == catalog.StatusFailed {
		out.Why = append(out.Why, "failed")
		return out, nil
	}
	for _, l := range reviewLabels {
		f := out.Fields[l.name]
		// A công văn-less "khác" has no number to check, as the pipeline judges.
		if f.Doubt && (l.name != "number" || r.DocType.Value != classify.TypeOther) {
			out.Why = append(out.Why, l.name)
		}
	}
	if r.OCRConfidence < 0.5 {
		out.Why = append(out.Why, "scan_quality")
	}
	return out, nil
}

func runReviewList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review list", "[--unit MÃ] [--status needs_review|failed] [--json]", `
Hàng chờ kiểm tra: các hồ sơ cần người xem (cần kiểm tra: có trường đọc được
với độ tin cậy dưới ngưỡng; hoặc lỗi), cũ trước. Mỗi hồ sơ kèm lý do (các
trường dưới ngưỡng, đánh dấu ⚠) và giá trị máy đề xuất.
The review queue: records a person must look at (needs_review: a field read
below the confidence threshold; or failed), oldest first, each with why (the
fields below the threshold, marked ⚠) and the proposed values.

Ví dụ / example:
  sohoa review list --unit 21181
  sohoa review list --status failed --json`)
	unit := fs.String("unit", "", "mã đơn vị / unit code")
	status := fs.String("status", "", "needs_review hoặc/or failed (mặc định cả hai / default both)")
	asJSON := fs.Bool("json", false, "in JSON (một mảng) / print a JSON array")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("review list không nhận đối số %q (takes no arguments; use --unit)", pos[0])
	}
	switch catalog.Status(*status) {
	case "", catalog.StatusNeedsReview, catalog.StatusFailed:
	default:
		return usagef("--status %q: dùng / use needs_review hoặc/or failed", *status)
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	recs, err := db.ReviewQueue(ctx, *unit, catalog.Status(*status))
	if err != nil {
		return err
	}
	entries := make([]reviewJSON, 0, len(recs))
	for _, r := range recs {
		en, err := reviewEntry(ctx, db, r)
		if err != nil {
			return err
		}
		entries = append(entries, en)
	}
	if *asJSON {
		return writeJSON(e.stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "Không có hồ sơ nào chờ kiểm tra (the review queue is empty).")
		return nil
	}
	for _, en := range entries {
		printReviewEntry(e.stdout, en)
	}
	fmt.Fprintf(e.stdout, "%d hồ sơ chờ kiểm tra (records to review). Sửa / correct: sohoa review set ID trường=giá-trị; xác nhận / confirm: sohoa review confirm ID\n", len(entries))
	return nil
}

func printReviewEntry(w io.Writer, en reviewJSON) {
	label := "cần kiểm tra"
	if en.Status == catalog.StatusFailed {
		label = "lỗi"
	}
	fmt.Fprintf(w, "#%d %s [%s/%s] đơn vị/unit %s · %s · %d trang/pages · OCR %.0f%%\n",
		en.ID, en.Source, label, en.Status, orDash(en.Unit), en.CreatedAt.Local().Format("2006-01-02 15:04"), en.Pages, en.OCR*100)
	if en.Status == catalog.StatusFailed {
		fmt.Fprintf(w, "    %s\n    → quét lại hoặc sửa tệp rồi nhập lại / rescan or fix the file and ingest it again\n\n", orDash(en.Error))
		return
	}
	for _, l := range reviewLabels {
		f := en.Fields[l.name]
		mark := " "
		switch {
		case f.ByPerson:
			mark = "✎"
		case f.Doubt:
			mark = "⚠"
		}
		v := f.Value
		if l.name == "doc_type" && v != "" {
			v = classify.TypeName(v) + " (" + v + ")"
		}
		if l.name == "field" && v != "" {
			v = classify.FieldName(v) + " (" + v + ")"
		}
		fmt.Fprintf(w, "  %s %-28s %s  (%.0f%%)\n", mark, l.label+":", clip(orDash(v), 80), f.Confidence*100)
	}
	if !en.Valid {
		fmt.Fprintln(w, "    hết hiệu lực / no longer in force (valid=false)")
	}
	if len(en.Why) > 0 {
		fmt.Fprintf(w, "    lý do / why: %s\n", strings.Join(en.Why, ", "))
	}
	fmt.Fprintln(w)
}

// reviewAliases are the other names a clerk may type for a review field.
var reviewAliases = map[string]string{
	"type": "doc_type", "loai": "doc_type",
	"linh_vuc": "field", "linhvuc": "field",
	"so": "number", "so_ky_hieu": "number",
	"issued": "issued_on", "date": "issued_on", "ngay": "issued_on",
	"co_quan":   "issuer",
	"trich_yeu": "subject",
	"hieu_luc":  "valid", "validity": "valid",
}

// parseCorrection validates one "field=value" argument and returns it in
// the form the catalog stores.
func parseCorrection(arg string, today time.Time) (sqlite.Correction, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return sqlite.Correction{}, usagef("%q: viết trường=giá-trị, ví dụ doc_type=quyet-dinh (write field=value)", arg)
	}
	name = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(name, "-", "_")))
	if a, ok := reviewAliases[name]; ok {
		name = a
	}
	value = strings.TrimSpace(value)
	if strings.IndexFunc(value, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return sqlite.Correction{}, usagef("%s: giá trị có ký tự điều khiển (the value has control characters)", name)
	}
	bad := func(format string, a ...any) error {
		return usagef("%s=%q: %s", name, value, fmt.Sprintf(format, a...))
	}
	switch name {
	case "doc_type":
		slug, ok := labelSlug(classify.Types(), value)
		if !ok {
			return sqlite.Correction{}, bad("không phải loại văn bản; dùng một trong / not a document type; use one of: %s", slugList(classify.Types()))
		}
		value = slug
	case "field":
		slug, ok := labelSlug(classify.Fields(), value)
		if !ok {
			return sqlite.Correction{}, bad("không phải lĩnh vực; dùng một trong / not a field; use one of: %s", slugList(classify.Fields()))
		}
		value = slug
	case "issued_on":
		d, err := parseIssueDate(value, today)
		if err != nil {
			return sqlite.Correction{}, bad("%v", err)
		}
		value = d
	case "number", "issuer", "subject":
		value = strings.Join(strings.Fields(value), " ")
		if value == "" && name != "number" {
			return sqlite.Correction{}, bad("không được để trống (must not be empty)")
		}
	case "valid":
		switch vntext.Fold(strings.ToLower(value)) {
		case "true", "yes", "1", "co", "con":
			value = "true"
		case "false", "no", "0", "khong", "het":
			value = "false"
		default:
			return sqlite.Correction{}, bad("dùng true hoặc false (use true or false)")
		}
	default:
		return sqlite.Correction{}, usagef("%q: không có trường này; dùng / no such field; use %s", name, strings.Join(sqlite.ReviewFields, ", "))
	}
	return sqlite.Correction{Field: name, Value: value}, nil
}

// labelSlug finds the slug a clerk meant: the slug itself or the display
// name, accents and case optional ("Quyết định", "quyet dinh").
func labelSlug(ls []classify.Label, v string) (string, bool) {
	key := strings.ReplaceAll(vntext.Fold(strings.ToLower(v)), " ", "-")
	for _, l := range ls {
		if key == l.Slug || key == strings.ReplaceAll(vntext.Fold(strings.ToLower(l.Name)), " ", "-") {
			return l.Slug, true
		}
	}
	return "", false
}

func slugList(ls []classify.Label) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Slug
	}
	return strings.Join(s, ", ")
}

// dayMonthYear is a date as Vietnamese documents write it (16/01/2025,
// 16-1-2025, 16.01.2025), yearMonthDay one as ISO 8601 writes it.
var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)
	yearMonthDay = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
)

// parseIssueDate reads 2025-01-16 or 16/01/2025 and returns it as ISO; a
// day that does not exist, one before 1945 (no document of this state is
// older) or after today is refused.
func parseIssueDate(s string, today time.Time) (string, error) {
	var d, mo, y int
	if m := yearMonthDay.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		d, _ = strconv.Atoi(m[3])
	} else if m := dayMonthYear.FindStringSubmatch(s); m != nil {
		d, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		y, _ = strconv.Atoi(m[3])
	} else {
		return "", errors.New("viết ngày dạng 16/01/2025 hoặc 2025-01-16 (write the day as 16/01/2025 or 2025-01-16)")
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return "", errors.New("không có ngày này (no such day): kiểm tra lại / check it")
	}
	if t.Year() < 1945 {
		return "", errors.New("trước năm 1945 (before 1945): kiểm tra lại năm / check the year")
	}
	if t.After(today) {
		return "", errors.New("ngày trong tương lai (a day in the future): kiểm tra lại / check it")
	}
	return t.Format(time.DateOnly), nil
}

func runReviewSet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review set", "ID trường=giá-trị … [--clerk TÊN] [--json]", `
Sửa các trường của một hồ sơ. Giá trị sửa có độ tin cậy 1, được đánh dấu "do
người đặt" (chạy lại dây chuyền không ghi đè), và mỗi thay đổi là một sự kiện
"correct" trong nhật ký: ai, khi nào, giá trị cũ và mới. Chỉ mục tìm kiếm
được cập nhật ngay.
Correct fields of a record. A corrected value gets confidence 1 and is marked
as set by a person (re-running the pipeline keeps it); each change is a
"correct" event in the log with who, when, the old and the new value. The
search index is refreshed at once.

Trường / fields:
  doc_type   loại văn bản (slug hoặc tên): quyet-dinh, cong-van, giay-khai-sinh, … khac
  field      lĩnh vực: ho-tich, chung-thuc, dat-dai, xay-dung, kinh-doanh, noi-vu, khac
  number     số ký hiệu, ví dụ 86/QĐ-UBND
  issued_on  ngày ban hành: 16/01/2025 hoặc 2025-01-16
  issuer     cơ quan ban hành
  subject    trích yếu
  valid      còn hiệu lực: true hoặc false (false: kết quả đã hết hiệu lực / no longer in force)

Ví dụ / example:
  sohoa review set 12 doc_type=quyet-dinh issued_on=16/01/2025 --clerk "Nguyễn Thị Lan"
  sohoa review set 12 "subject=Về việc cấp giấy phép xây dựng" valid=false`)
	clerk := fs.String("clerk", "", "người sửa / who corrects (default: $USER)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("cần mã hồ sơ và ít nhất một trường=giá-trị (give a record id and at least one field=value)")
	}
	id, err := parseID(pos[0])
	if err != nil {
		return err
	}
	var cs []sqlite.Correction
	seen := map[string]bool{}
	for _, a := range pos[1:] {
		c, err := parseCorrection(a, time.Now())
		if err != nil {
			return err
		}
		if seen[c.Field] {
			return usagef("%s được sửa hai lần (given twice): giữ một / keep one", c.Field)
		}
		seen[c.Field] = true
		cs = append(cs, c)
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := reviewable(ctx, db, id)
	if err != nil {
		return err
	}
	who := actorName(*clerk)
	changes, err := db.Correct(ctx, r.ID, who, cs)
	if err != nil {
		return err
	}
	if *asJSON {
		if changes == nil {
			changes = []sqlite.Change{}
		}
		return writeJSON(e.stdout, map[string]any{"id": id, "clerk": who, "changes": changes})
	}
	if len(changes) == 0 {
		fmt.Fprintf(e.stdout, "#%d: không có gì thay đổi, các giá trị đã được đánh dấu do người đặt (nothing changed; the values are now marked as set by a person)\n", id)
	}
	for _, c := range changes {
		fmt.Fprintf(e.stdout, "#%d %s: %s → %s\n", id, c.Field, orDash(c.Old), orDash(c.New))
	}
	fmt.Fprintf(e.stdout, "Xác nhận khi đúng hết / confirm when all is right: sohoa review confirm %d\n", id)
	return nil
}

// reviewable loads a record a person may correct: one the pipeline is
// done with and that is not a duplicate.
func reviewable(ctx context.Context, db *sqlite.DB, id int64) (catalog.Record, error) {
	r, err := db.Record(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return r, fmt.Errorf("không có hồ sơ #%d (no record %d): xem / see sohoa review list", id, id)
	}
	if err != nil {
		return r, err
	}
	switch r.Status {
	case catalog.StatusQueued, catalog.StatusProcessing:
		return r, fmt.Errorf("hồ sơ #%d (%s) đang được xử lý: chờ xong rồi sửa (record %d is still in the pipeline: wait until it is done)", id, r.Source, id)
	case catalog.StatusDuplicate:
		return r, fmt.Errorf("hồ sơ #%d (%s) là bản trùng của #%d: sửa hồ sơ #%d (record %d duplicates %d: correct that one)", id, r.Source, r.DuplicateOf, r.DuplicateOf, id, r.DuplicateOf)
	}
	return r, nil
}

func runReviewConfirm(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review confirm", "ID [--clerk TÊN] [--json]", `
Xác nhận một hồ sơ đã đúng: hồ sơ thành "đã số hóa" (được tính vào chỉ tiêu),
mọi trường được giữ như đang thấy (chạy lại dây chuyền không đổi), và hồ sơ
trở thành ví dụ để huấn luyện lại bộ phân loại (sohoa train; tự chạy sau mỗi
N lần xác nhận, xem sohoa train --help).
Hồ sơ loại "khác" hoặc chưa rõ loại phải được sửa loại trước (doc_type=…,
kể cả doc_type=khac nếu đúng là khác); hồ sơ lỗi phải được quét lại.
Confirm a record: it becomes digitized (counts toward targets), every field is
kept as shown (re-running the pipeline keeps it), and it becomes an example
for retraining the classifier (sohoa train, run automatically every N
confirmations). A record whose type is "khac" or unknown needs doc_type set
first (doc_type=khac if that is the truth); a failed record must be rescanned.

Ví dụ / example:
  sohoa review confirm 12 --clerk "Nguyễn Thị Lan"`)
	clerk := fs.String("clerk", "", "người xác nhận / who confirms (default: $USER)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
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
	cfg, err := loadConfig(*data, false)
	if err != nil {
		return err
	}
	db, err := openCatalogIn(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := reviewable(ctx, db, id)
	if err != nil {
		return err
	}
	who := actorName(*clerk)
	r, err = db.Confirm(ctx, id, who)
	switch {
	case errors.Is(err, sqlite.ErrTypeUnknown):
		return fmt.Errorf("hồ sơ #%d (%s) chưa rõ loại văn bản: sửa trước, ví dụ sohoa review set %d doc_type=quyet-dinh (hoặc doc_type=khac nếu đúng là khác) "+
			"(record %d has no known type: set doc_type first)", id, r.Source, id, id)
	case errors.Is(err, sqlite.ErrNotReviewable):
		return fmt.Errorf("hồ sơ #%d (%s) bị lỗi, không có gì để xác nhận: %s — quét lại hoặc sửa tệp rồi nhập lại "+
			"(record %d failed and cannot be confirmed: rescan it or fix the file and ingest it again)", id, r.Source, orDash(r.Error), id)
	case err != nil:
		return err
	}
	trained, terr := trainIfDue(ctx, e, cfg, db)
	if *asJSON {
		out := map[string]any{"id": r.ID, "status": r.Status, "clerk": who}
		if trained != nil {
			out["trained"] = trained
		}
		if terr != nil {
			out["train_error"] = terr.Error()
		}
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintln(e.stdout, recordLine(r))
	fmt.Fprintf(e.stdout, "Đã xác nhận bởi / confirmed by %s\n", who)
	if trained != nil {
		fmt.Fprintln(e.stdout)
		printTrainReport(e.stdout, *trained)
	}
	if terr != nil {
		// The confirmation stands; only the automatic retraining failed.
		fmt.Fprintf(e.stderr, "sohoa review confirm: huấn luyện lại tự động không được (automatic retraining failed): %v\n  → chạy / run: sohoa train\n", terr)
	}
	return nil
}
