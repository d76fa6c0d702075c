package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"sohoa/cmd/sohoa/internal/dashboard"
	"sohoa/pipeline"
	"sohoa/pipeline/classify"
	"sohoa/pipeline/review"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

func runReview(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "review", `Cách dùng / usage: sohoa review list | set ID trường=giá-trị … | pages ID thao-tác … | confirm ID

  list     hàng chờ kiểm tra: hồ sơ cần kiểm tra hoặc lỗi, theo đơn vị, cũ trước,
           kèm lý do và giá trị đề xuất
           the review queue: records needing a person (needs_review or failed),
           per unit, oldest first, with why and the proposed values
  set      sửa trường của một hồ sơ (mỗi lần sửa được ghi nhật ký: ai, khi nào, cũ, mới)
           correct fields of a record (each correction is logged: who, when, old, new)
  pages    xoay, sắp lại hoặc bỏ trang rồi đọc lại hồ sơ (bản gốc giữ nguyên)
           turn, re-order or remove pages, then read the record again (the original is kept)
  confirm  xác nhận hồ sơ: thành "đã số hóa" và được tính vào chỉ tiêu
           confirm a record: it becomes digitized and counts toward targets

Ví dụ / example:
  sohoa review list --unit 21181
  sohoa review set 12 doc_type=quyet-dinh number=86/QĐ-UBND issued_on=16/01/2025 --clerk "Nguyễn Thị Lan"
  sohoa review pages 12 rotate=2:180 remove=3 --clerk "Nguyễn Thị Lan"
  sohoa review confirm 12 --clerk "Nguyễn Thị Lan"

Trên trình duyệt / in the browser: sohoa serve, rồi mở / then open /review
`, args,
		subcommand{"list", runReviewList}, subcommand{"set", runReviewSet}, subcommand{"pages", runReviewPages},
		subcommand{"confirm", runReviewConfirm})
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
	var cs []review.Correction
	for _, a := range pos[1:] {
		c, err := review.ParseArg(a, time.Now())
		if err != nil {
			return usagef("%v", err)
		}
		cs = append(cs, c)
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	who := actorName(*clerk)
	changes, err := correctRecord(ctx, db, id, who, cs)
	var twice errGivenTwice
	if errors.As(err, &twice) {
		return usagef("%v", err)
	}
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

// reviewRefusal is a review action refused for a reason the clerk can
// act on (the review page shows it as such, dashboard.Refusal).
type reviewRefusal struct{ err error }

func (e *reviewRefusal) Error() string { return e.err.Error() }
func (e *reviewRefusal) Unwrap() error { return e.err }

func refusalf(format string, a ...any) error { return &reviewRefusal{fmt.Errorf(format, a...)} }

// errGivenTwice is a correction naming a field twice.
type errGivenTwice struct{ field string }

func (e errGivenTwice) Error() string {
	return fmt.Sprintf("%s được sửa hai lần (given twice): giữ một / keep one", e.field)
}

// correctRecord sets the corrections cs, each already read by
// review.Parse, on record id as who decided: the one path of `sohoa
// review set` and of the review page. The record must be one a person may
// correct (reviewable); each change is an event with who, when, the old
// and the new value (sqlite.DB.Correct).
func correctRecord(ctx context.Context, db *sqlite.DB, id int64, who string, cs []review.Correction) ([]sqlite.Change, error) {
	seen := map[string]bool{}
	sc := make([]sqlite.Correction, 0, len(cs))
	for _, c := range cs {
		if seen[c.Field] {
			return nil, errGivenTwice{c.Field}
		}
		seen[c.Field] = true
		sc = append(sc, sqlite.Correction{Field: c.Field, Value: c.Value})
	}
	if _, err := reviewable(ctx, db, id); err != nil {
		return nil, err
	}
	return db.Correct(ctx, id, who, sc)
}

// confirmRecord confirms record id as who, then retrains the classifier
// when enough confirmations are due (trainIfDue): the one path of `sohoa
// review confirm` and of the review page. The confirmation stands even
// when the retraining fails; that error is terr.
func confirmRecord(ctx context.Context, e *env, cfg config, db *sqlite.DB, id int64, who string) (r catalog.Record, trained *trainReport, terr, err error) {
	r, err = reviewable(ctx, db, id)
	if err != nil {
		return r, nil, nil, err
	}
	src := r.Source
	r, err = db.Confirm(ctx, id, who)
	switch {
	case errors.Is(err, sqlite.ErrTypeUnknown):
		return r, nil, nil, refusalf("hồ sơ #%d (%s) chưa rõ loại văn bản: sửa trước, ví dụ sohoa review set %d doc_type=quyet-dinh (hoặc doc_type=khac nếu đúng là khác) "+
			"(record %d has no known type: set doc_type first): %w", id, src, id, id, err)
	case errors.Is(err, sqlite.ErrNotReviewable):
		cur, _ := db.Record(ctx, id)
		return r, nil, nil, refusalf("hồ sơ #%d (%s) bị lỗi, không có gì để xác nhận: %s — quét lại hoặc sửa tệp rồi nhập lại "+
			"(record %d failed and cannot be confirmed: rescan it or fix the file and ingest it again): %w", id, src, orDash(cur.Error), id, err)
	case err != nil:
		return r, nil, nil, err
	}
	trained, terr = trainIfDue(ctx, e, cfg, db)
	return r, trained, terr, nil
}

// reviewable loads a record a person may correct: one the pipeline is
// done with and that is not a duplicate.
func reviewable(ctx context.Context, db *sqlite.DB, id int64) (catalog.Record, error) {
	r, err := db.Record(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return r, fmt.Errorf("không có hồ sơ #%d (no record %d): xem / see sohoa review list: %w", id, id, err)
	}
	if err != nil {
		return r, err
	}
	switch r.Status {
	case catalog.StatusQueued, catalog.StatusProcessing:
		return r, refusalf("hồ sơ #%d (%s) đang được xử lý: chờ xong rồi sửa (record %d is still in the pipeline: wait until it is done)", id, r.Source, id)
	case catalog.StatusDuplicate:
		return r, refusalf("hồ sơ #%d (%s) là bản trùng của #%d: sửa hồ sơ #%d (record %d duplicates %d: correct that one)", id, r.Source, r.DuplicateOf, r.DuplicateOf, id, r.DuplicateOf)
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
	who := actorName(*clerk)
	r, trained, terr, err := confirmRecord(ctx, e, cfg, db, id, who)
	if err != nil {
		return err
	}
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

func runReviewPages(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review pages", "ID thao-tác … [--clerk TÊN] [--no-wait] [--json]", `
Xoay, sắp lại thứ tự hoặc bỏ trang của một hồ sơ (tờ quét ngược, hai trang
đảo chỗ, một tờ lẫn vào), rồi đọc lại hồ sơ theo cách sắp mới: chữ, các
trường (giá trị người đã sửa được giữ) và bản PDF lưu trữ theo các trang
mới. Bản gốc trong kho không bị đổi. Mỗi lần sắp là một sự kiện "pages"
trong nhật ký: ai, khi nào, cách sắp cũ và mới.
Turn, re-order or remove pages of a record (a sheet fed upside down, two
pages swapped, a stray sheet), then read the record again through the new
arrangement: its text, fields (values a person set are kept) and archival
PDF follow the new pages. The stored original is not changed. Each change
is a "pages" event in the log with who, when, the old and the new
arrangement.

Thao tác / operations:
`+pipeline.PageOpsHelp+`

Sau khi sắp, lệnh đọc lại hồ sơ ngay (OCR, vài giây mỗi trang) như sohoa
worker: cùng các việc khác đang chờ trong hàng đợi, nếu có. Với --no-wait
chỉ xếp hàng cho sohoa worker (hoặc sohoa serve) làm.
After the change the command reads the record again at once (OCR, a few
seconds a page) as sohoa worker does: with any other jobs waiting in the
queue. With --no-wait it only queues it for sohoa worker (or sohoa serve).

Ví dụ / example:
  sohoa review pages 12 rotate=2:90
  sohoa review pages 12 remove=3 order=2,1,4 --clerk "Nguyễn Thị Lan"
  sohoa review pages 12 reset`)
	clerk := fs.String("clerk", "", "người sắp trang / who changes the pages (default: $USER)")
	noWait := fs.Bool("no-wait", false, "chỉ xếp hàng, không đọc lại ngay / only queue, do not read again now")
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR / OCR workers")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("cần mã hồ sơ và ít nhất một thao tác, ví dụ sohoa review pages 12 rotate=2:90 (give a record id and at least one operation)")
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
	who := actorName(*clerk)
	plan, err := changePages(ctx, st.catalog, id, who, pos[1:])
	var op *pipeline.OpError
	if errors.As(err, &op) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	if !*noWait {
		out := newOutput(e, *asJSON)
		out.quiet = true
		p, err := st.pipeline(*workers, "sohoa", out)
		if err != nil {
			return err
		}
		err = p.Run(ctx, pipeline.RunOptions{})
		out.bar.finish()
		if err != nil {
			return err
		}
	}
	r, err := st.catalog.Record(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		pairs := plan.Pairs(len(plan))
		if pairs == nil {
			pairs = [][2]int{}
		}
		return writeJSON(e.stdout, map[string]any{"id": id, "clerk": who, "plan": pairs, "status": r.Status, "pages": r.Pages, "archive": r.Archive})
	}
	for i, pp := range plan {
		turn := ""
		if pp.Rotate != 0 {
			turn = fmt.Sprintf(", xoay / turned %d°", pp.Rotate)
		}
		fmt.Fprintf(e.stdout, "  trang / page %d ← trang quét / scanned page %d%s\n", i+1, pp.Page, turn)
	}
	if *noWait {
		fmt.Fprintf(e.stdout, "#%d đã xếp hàng để đọc lại (queued to be read again): chạy / run sohoa worker\n", id)
		return nil
	}
	fmt.Fprintln(e.stdout, recordLine(r))
	fmt.Fprintf(e.stdout, "Xem lại rồi xác nhận / check, then confirm: sohoa review confirm %d\n", id)
	return nil
}

// changePages applies the clerk's page operations to record id and sends
// it through the pipeline again (sqlite.DB.SetPagePlan): the one path of
// `sohoa review pages` and of the review page. It returns the record's
// new page plan.
func changePages(ctx context.Context, db *sqlite.DB, id int64, who string, ops []string) (pipeline.PagePlan, error) {
	r, err := reviewable(ctx, db, id)
	if err != nil {
		return nil, err
	}
	pairs, scanned, err := db.PagePlanScanned(ctx, id)
	if err != nil {
		return nil, err
	}
	if pairs == nil {
		scanned = r.Pages
	}
	if scanned <= 0 {
		return nil, refusalf("hồ sơ #%d (%s) chưa có trang nào được đọc: quét lại hoặc nhập lại tệp (record %d has no pages read: rescan or ingest the file again)", id, r.Source, id)
	}
	plan, err := pipeline.PlanFromPairs(pairs).Apply(scanned, ops)
	if err != nil {
		return nil, err
	}
	err = db.SetPagePlan(ctx, id, plan.Pairs(scanned), scanned, who, ops)
	if errors.Is(err, sqlite.ErrInPipeline) {
		return nil, refusalf("hồ sơ #%d (%s) đang được xử lý: chờ xong rồi sắp trang (record %d is in the pipeline: wait until it is done)", id, r.Source, id)
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// webReviewer is the review page's dashboard.Reviewer: the calls of
// `sohoa review` on serve's catalog. The records it queues again after a
// page change are read by serve's own pipeline (or sohoa worker).
type webReviewer struct {
	e   *env
	cfg config
	db  *sqlite.DB
}

var _ dashboard.Reviewer = webReviewer{}

func (w webReviewer) ReviewQueue(ctx context.Context, unit string) ([]catalog.Record, error) {
	return w.db.ReviewQueue(ctx, unit, "")
}

func (w webReviewer) ReviewState(ctx context.Context, id int64) (dashboard.ReviewState, error) {
	set, confirmed, err := w.db.PersonSet(ctx, id)
	if err != nil {
		return dashboard.ReviewState{}, err
	}
	valid, err := w.db.Valid(ctx, id)
	if err != nil {
		return dashboard.ReviewState{}, err
	}
	plan, err := w.db.PagePlan(ctx, id)
	if err != nil {
		return dashboard.ReviewState{}, err
	}
	return dashboard.ReviewState{PersonSet: set, Confirmed: confirmed, Valid: valid, Plan: plan}, nil
}

func (w webReviewer) Correct(ctx context.Context, id int64, who string, cs []review.Correction) ([]dashboard.Change, error) {
	changes, err := correctRecord(ctx, w.db, id, who, cs)
	if err != nil {
		return nil, webRefusal(err)
	}
	out := make([]dashboard.Change, len(changes))
	for i, c := range changes {
		out[i] = dashboard.Change(c)
	}
	return out, nil
}

func (w webReviewer) Confirm(ctx context.Context, id int64, who string) (dashboard.Confirmation, error) {
	r, trained, terr, err := confirmRecord(ctx, w.e, w.cfg, w.db, id, who)
	if err != nil {
		return dashboard.Confirmation{}, webRefusal(err)
	}
	c := dashboard.Confirmation{Record: r, Retrained: trained != nil && trained.Installed}
	if terr != nil {
		c.TrainError = terr.Error()
	}
	return c, nil
}

func (w webReviewer) ChangePages(ctx context.Context, id int64, who string, ops []string) error {
	_, err := changePages(ctx, w.db, id, who, ops)
	return webRefusal(err)
}

// webRefusal marks the errors a clerk can act on as dashboard refusals.
func webRefusal(err error) error {
	var (
		rf    *reviewRefusal
		op    *pipeline.OpError
		inv   *review.InvalidError
		twice errGivenTwice
	)
	if errors.As(err, &rf) || errors.As(err, &op) || errors.As(err, &inv) || errors.As(err, &twice) {
		return &dashboard.Refusal{Err: err}
	}
	return err
}
