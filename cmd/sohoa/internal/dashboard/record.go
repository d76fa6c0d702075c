package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sohoa/pipeline/classify"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// Records is what the auditor's pages read of the catalog, and where
// they log who opened what: every view of a record page and every
// download is an event of the record's history.
type Records interface {
	// Record returns the record with the id; catalog.ErrNotFound if none.
	Record(ctx context.Context, id int64) (catalog.Record, error)
	// Pages returns a record's pages in order.
	Pages(ctx context.Context, recordID int64) ([]catalog.Page, error)
	// Events returns the events of a record, oldest first.
	Events(ctx context.Context, recordID int64) ([]catalog.Event, error)
	// AppendEvent adds e to the log.
	AppendEvent(ctx context.Context, e catalog.Event) error
	catalog.RecordSearcher
}

// Actions of the events the record pages log.
const (
	actionView     = "view"
	actionDownload = "download"
)

// userHeader names who is asking when serve has no users (and so no
// sign-in): a proxy in front of serve that knows the user sets it. With
// users, it is ignored: anyone could send it.
const userHeader = "X-Sohoa-User"

// actor is who the event of r is logged under: the signed-in user; with
// no users, the one the proxy named, else the address the request came
// from.
func actor(r *http.Request) string {
	if u, ok := requestUser(r.Context()); ok {
		return u.Name
	}
	if u := strings.TrimSpace(r.Header.Get(userHeader)); u != "" {
		return u
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "web:" + host
}

// logAccess appends a view or download event of record id with details
// (encoded as JSON). What is not logged is not shown: a caller that gets
// an error answers 500 and sends nothing. A HEAD request, which gets
// headers alone, is not logged.
func (d *Dashboard) logAccess(r *http.Request, action string, id int64, details map[string]any) error {
	if r.Method == http.MethodHead {
		return nil // headers only: nothing was shown or sent
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("log %s of record %d: %w", action, id, err)
	}
	if err := d.src.AppendEvent(r.Context(), catalog.Event{Actor: actor(r), Action: action, RecordID: id, Details: string(b)}); err != nil {
		return fmt.Errorf("log %s of record %d: %w", action, id, err)
	}
	return nil
}

// recordID reads the {id} of the path; a bad one is a 404, like an
// unknown one.
func recordID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("không có hồ sơ số %q (no record %q): %w", s, s, catalog.ErrNotFound)
	}
	return id, nil
}

// loadRecord returns the record the path names, with a message for the
// reader when there is none.
func (d *Dashboard) loadRecord(r *http.Request) (catalog.Record, error) {
	id, err := recordID(r)
	if err != nil {
		return catalog.Record{}, err
	}
	rec, err := d.src.Record(r.Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return rec, fmt.Errorf("không có hồ sơ số %d (no record %d): %w", id, id, err)
	}
	if err != nil {
		return rec, fmt.Errorf("read record %d: %w", id, err)
	}
	return rec, nil
}

// recordData is what the record page shows.
type recordData struct {
	Record catalog.Record
	// Fields are the extracted values with their confidences, in the
	// order a clerk reads a document.
	Fields []fieldRow
	Pages  []pageView
	Events []eventRow
	// Presign is set when the store can hand out a short-lived link to
	// the original.
	Presign bool
}

// fieldRow is one line of the fields table.
type fieldRow struct {
	Key, Label string
	Value      string
	// Shown is Value as a reader knows it (a type's name, not its slug).
	Shown      string
	Confidence float64
	Has        bool
}

// pageView is one page: its image, and its text when it has been read.
type pageView struct {
	N          int
	Text       string
	Source     string // "ocr" or "text"
	Confidence float64
	HasText    bool
}

// pageViews lists every page of rec, those not read yet (or whose text
// is lost) with their image alone.
func pageViews(rec catalog.Record, pages []catalog.Page) []pageView {
	n := rec.Pages
	for _, p := range pages {
		n = max(n, p.N)
	}
	out := make([]pageView, n)
	for i := range out {
		out[i].N = i + 1
	}
	for _, p := range pages {
		if p.N >= 1 {
			out[p.N-1] = pageView{N: p.N, Text: p.Text, Source: p.Source, Confidence: p.Confidence, HasText: true}
		}
	}
	return out
}

// eventRow is one line of the history.
type eventRow struct {
	catalog.Event
	Label string
}

// actionLabels name, Vietnamese first with English beside, every action
// of an event the code base writes (TestEveryActionHasALabel finds them
// in the source): the history shows the label, not the action's name.
var actionLabels = map[string]string{
	// The pipeline.
	"ingest": "tiếp nhận / ingest", "duplicate": "trùng tệp đã có / duplicate", "store": "lưu bản gốc / store",
	"split": "tách tập quét / split", "ocr": "nhận dạng chữ / OCR", "classify": "phân loại / classify",
	"archive": "tạo bản lưu trữ / archive", "fail": "lỗi / failed", "index": "lập chỉ mục / index",
	// People: upload, review, the auditor's pages, sign-in.
	"upload": "tải lên / upload", "correct": "sửa / correction", "confirm": "xác nhận / confirm",
	"pages": "sửa trang (xoay, bỏ, sắp xếp) / pages changed", "review": "xem xét / review",
	actionReviewView: "mở trang kiểm tra / review opened", actionView: "xem / view", actionDownload: "tải về / download",
	"export": "xuất / export", actionDenied: "bị từ chối / denied", actionLogin: "đăng nhập / sign in",
	actionLogout: "đăng xuất / sign out",
	// Checks and repairs.
	"verify": "kiểm tra / verify", "doctor_requeue": "xếp lại vào hàng đợi / doctor: requeued",
	"doctor_reprocess": "xử lý lại / doctor: reprocessed", "doctor_fail": "đánh dấu lỗi / doctor: marked failed",
	"doctor_restore": "khôi phục bản gốc / doctor: original restored", "doctor_quarantine": "cách ly tệp không có hồ sơ / doctor: unrecorded file quarantined",
	"doctor_delete": "xóa tệp thừa / doctor: unneeded file deleted", "doctor_clean_tmp": "dọn tệp tạm / doctor: temporary files cleaned",
	"backup": "sao lưu / backup", "restore": "khôi phục bản sao lưu / restore",
	// Settings, registers and users.
	"units_import": "nạp danh mục đơn vị / units imported", "inventory_import": "nạp số kết quả đang lưu giữ / inventory imported",
	"targets_load": "nạp lộ trình chỉ tiêu / targets loaded", "setting": "đổi cài đặt / setting changed",
	"train": "huấn luyện bộ phân loại / classifier trained", "user_add": "thêm người dùng / user added",
	"user_token": "cấp mã truy cập / API token issued", "user_disable": "khóa người dùng / user disabled",
}

func fieldRows(rec catalog.Record) []fieldRow {
	rows := []fieldRow{
		{Key: "doc_type", Label: "Loại văn bản / Type", Value: rec.DocType.Value, Shown: classify.TypeName(rec.DocType.Value), Confidence: rec.DocType.Confidence},
		{Key: "field", Label: "Lĩnh vực / Field", Value: rec.Field.Value, Shown: classify.FieldName(rec.Field.Value), Confidence: rec.Field.Confidence},
		{Key: "number", Label: "Số ký hiệu / Number", Value: rec.Number.Value, Confidence: rec.Number.Confidence},
		{Key: "issued_on", Label: "Ngày ban hành / Issued on", Value: rec.Issued.Value, Confidence: rec.Issued.Confidence},
		{Key: "issuer", Label: "Cơ quan ban hành / Issuer", Value: rec.Issuer.Value, Confidence: rec.Issuer.Confidence},
		{Key: "subject", Label: "Trích yếu / Subject", Value: rec.Subject.Value, Confidence: rec.Subject.Confidence},
		{Key: "ocr_confidence", Label: "Độ tin cậy OCR / OCR confidence", Confidence: rec.OCRConfidence, Has: rec.Pages > 0},
	}
	for i := range rows {
		if rows[i].Shown == "" {
			rows[i].Shown = rows[i].Value
		}
		if rows[i].Value != "" {
			rows[i].Has = true
		}
	}
	return rows
}

// serveRecord renders the evidence view of /records/{id}, after logging
// the view, so the history shown ends with it.
func (d *Dashboard) serveRecord(w http.ResponseWriter, r *http.Request) {
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	ctx := r.Context()
	pages, err := d.src.Pages(ctx, rec.ID)
	if err != nil {
		d.writeProblem(w, r, fmt.Errorf("read pages of record %d: %w", rec.ID, err))
		return
	}
	if err := d.logAccess(r, actionView, rec.ID, map[string]any{"what": "record", "path": r.URL.Path}); err != nil {
		d.writeProblem(w, r, err)
		return
	}
	events, err := d.src.Events(ctx, rec.ID)
	if err != nil {
		d.writeProblem(w, r, fmt.Errorf("read history of record %d: %w", rec.ID, err))
		return
	}
	data := recordData{Record: rec, Fields: fieldRows(rec), Pages: pageViews(rec, pages)}
	for _, e := range events {
		label := actionLabels[e.Action]
		if label == "" {
			label = e.Action
		}
		data.Events = append(data.Events, eventRow{Event: e, Label: label})
	}
	_, data.Presign = d.objects.(storage.Presigner)
	d.render(w, r, d.evidence.record, http.StatusOK, data)
}

// problemData is the page of a request that found nothing to show.
type problemData struct {
	Status  int
	Problem string
}

// writeProblem answers a page request that failed with a page saying why.
func (d *Dashboard) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(err)
	msg := problemText(err)
	if status == http.StatusInternalServerError {
		d.log.Error("serve", "path", r.URL.Path, "err", err)
		msg = "lỗi máy chủ, xem nhật ký của sohoa serve (server error, see the log of sohoa serve): " + err.Error()
	}
	d.render(w, r, d.evidence.problem, status, problemData{Status: status, Problem: msg})
}

// render executes t into a buffer first, so a template error is a 500
// and not half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, t *template.Template, status int, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		d.log.Error("render page", "path", r.URL.Path, "err", err)
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// evidencePages are the templates of the auditor's pages.
type evidencePages struct {
	record, search, problem *template.Template
}

var evidenceFuncs = template.FuncMap{
	"recordStatus": recordStatusLabel,
	// conf is a confidence (0..1) as a percent.
	"conf": func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB (%d bytes)", float64(n)/(1<<20), n)
		case n >= 1<<10:
			return fmt.Sprintf("%.1f KB (%d bytes)", float64(n)/(1<<10), n)
		}
		return fmt.Sprintf("%d bytes", n)
	},
	"add": func(a, b int) int { return a + b },
}

// addEvidence parses the auditor's pages and routes them: the search,
// the record page and what it opens.
func (d *Dashboard) addEvidence() error {
	t, err := template.New("record.html").Funcs(evidenceFuncs).ParseFS(assets, "assets/record.html", "assets/search.html")
	if err != nil {
		return fmt.Errorf("parse record page templates: %w", err)
	}
	d.evidence = evidencePages{record: t.Lookup("record.html"), search: t.Lookup("search.html"), problem: t.Lookup("problem")}
	d.mux.HandleFunc("GET /search", d.serveSearch)
	d.mux.HandleFunc("GET /records/{id}", d.serveRecord)
	d.mux.HandleFunc("GET /records/{id}/original", d.serveOriginal)
	d.mux.HandleFunc("GET /records/{id}/archive.pdf", d.serveArchive)
	d.mux.HandleFunc("GET /records/{id}/pages/{file}", d.servePageImage)
	return nil
}
