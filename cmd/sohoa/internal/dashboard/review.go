package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/pipeline/classify"
	"sohoa/pipeline/review"
	"sohoa/storage/catalog"
)

// The review queue and page (/review, /review/{id}): a clerk sees the
// records of its units that need a person, oldest first, opens one to see
// its page images beside the fields read from them (the words each field
// came from marked on the image), corrects what is wrong, turns,
// re-orders or removes pages, and confirms. Every correction, page change
// and confirmation goes through the same code as `sohoa review`
// (Reviewer, implemented in cmd/sohoa) and is an event with who, when,
// the old and the new value.

// Reviewer is what the review pages change in the catalog, the same calls
// `sohoa review` makes. The dashboard checks the record is the viewer's
// to see (scopedSource) and to act for (mayActFor) before calling them.
type Reviewer interface {
	// ReviewQueue returns the records of unit ("" for all) that need a
	// person, needs_review and failed, oldest first.
	ReviewQueue(ctx context.Context, unit string) ([]catalog.Record, error)
	// ReviewState returns what people did to the record: the values they
	// set, whether it was confirmed, whether it is in force, its page
	// plan. catalog.ErrNotFound if there is no such record.
	ReviewState(ctx context.Context, id int64) (ReviewState, error)
	// Correct sets the corrections on the record as who, each change an
	// event; it returns the changes. A refusal the clerk must act on is
	// a *Refusal.
	Correct(ctx context.Context, id int64, who string, cs []review.Correction) ([]Change, error)
	// Confirm confirms the record as who (it becomes digitized) and
	// retrains the classifier when due. A refusal is a *Refusal.
	Confirm(ctx context.Context, id int64, who string) (Confirmation, error)
	// ChangePages applies page operations (as `sohoa review pages` takes
	// them: rotate=2:90, remove=3, order=2,1,4, reset) and sends the
	// record through the pipeline again. A refusal is a *Refusal.
	ChangePages(ctx context.Context, id int64, who string, ops []string) error
}

// ReviewState is what people did to a record.
type ReviewState struct {
	// PersonSet are the values a person set, by review field.
	PersonSet map[string]string
	Confirmed bool
	// Valid is false for a result no longer in force.
	Valid bool
	// Plan is, for each page shown, the page as scanned and its turn
	// clockwise; nil for the pages as scanned.
	Plan [][2]int
}

// Change is one field a correction changed.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Confirmation is what confirming did.
type Confirmation struct {
	Record catalog.Record
	// Retrained is set when the confirmation made the classifier retrain;
	// TrainError when that retraining failed (the confirmation stands).
	Retrained  bool
	TrainError string
}

// Refusal is a review action refused for a reason the clerk reads and can
// act on (a value that is not a date, a record of unknown type confirmed,
// a page that does not exist): the page shows it, with 422.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Actions of the events the review pages log themselves.
const actionReviewView = "review_view"

// reviewPages are the review page templates and what they change.
type reviewPages struct {
	rv          Reviewer
	queue, page *template.Template
}

// addReview parses the review templates and routes them. Without a
// Reviewer the routes say review is off, so every server has the same
// routes and policy.
func (d *Dashboard) addReview(rv Reviewer) error {
	t, err := template.New("review.html").Funcs(evidenceFuncs).Funcs(reviewFuncs).
		ParseFS(assets, "assets/record.html", "assets/review.html", "assets/review_queue.html")
	if err != nil {
		return fmt.Errorf("parse review page templates: %w", err)
	}
	d.review = reviewPages{rv: rv, queue: t.Lookup("review_queue.html"), page: t.Lookup("review.html")}
	d.mux.HandleFunc("GET /review", d.serveReviewQueue)
	d.mux.HandleFunc("GET /review/{id}", d.serveReviewPage)
	d.mux.HandleFunc("POST /review/{id}", d.serveReviewPost)
	d.mux.HandleFunc("POST /review/{id}/pages", d.serveReviewPages)
	return nil
}

var reviewFuncs = template.FuncMap{
	"pct": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" },
	"typeName": func(slug string) string {
		if slug == "" {
			return "—"
		}
		return classify.TypeName(slug)
	},
}

// errReviewOff answers the review routes of a server without a Reviewer.
var errReviewOff = errors.New("trang kiểm tra chưa được bật trên máy chủ này (review is not enabled on this server)")

// reviewer returns the viewer-scoped Reviewer, or writes why there is none.
func (d *Dashboard) reviewer(w http.ResponseWriter, r *http.Request) (Reviewer, bool) {
	if d.review.rv == nil {
		d.render(w, r, d.evidence.problem, http.StatusNotFound, problemData{Status: http.StatusNotFound, Problem: errReviewOff.Error()})
		return nil, false
	}
	return scopedReviewer{Reviewer: d.review.rv, src: d.src.(scopedSource)}, true
}

// queueRow is one record of the review queue.
type queueRow struct {
	Record catalog.Record
	// Why are the labels of the fields read below the threshold that no
	// person set, or the failure.
	Why []string
}

// queueData is what the queue page shows.
type queueData struct {
	Unit  string
	Units []string
	// AllUnits is set when the viewer sees every unit (not a clerk).
	AllUnits bool
	Rows     []queueRow
	// Total is how many records the queue holds; the page lists the
	// oldest queueMax.
	Total  int
	Notice string
	// CSRF is the session's token, for scripts that act from the queue.
	CSRF string
}

// queueMax is how many records of a queue the page lists at once.
const queueMax = 200

// serveReviewQueue lists the records of a unit that need a person,
// oldest first: /review?unit=CODE. A clerk sees its units only.
func (d *Dashboard) serveReviewQueue(w http.ResponseWriter, r *http.Request) {
	rv, ok := d.reviewer(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	data := queueData{Unit: strings.TrimSpace(r.URL.Query().Get("unit")), CSRF: CSRFToken(r)}
	v := viewerFrom(ctx)
	if v.unitScoped() {
		data.Units = slices.Clone(v.Units)
		if data.Unit == "" && len(data.Units) == 1 {
			data.Unit = data.Units[0]
		}
		if data.Unit != "" {
			may, err := d.mayActFor(ctx, data.Unit)
			if err != nil {
				d.writeProblem(w, r, err)
				return
			}
			if !may {
				d.writeProblem(w, r, fmt.Errorf("đơn vị %q không thuộc quyền của bạn (unit %q is not one of yours): %w", data.Unit, data.Unit, catalog.ErrNotFound))
				return
			}
		}
	} else {
		data.AllUnits = true
	}
	recs, err := rv.ReviewQueue(ctx, "")
	if err != nil {
		d.writeProblem(w, r, fmt.Errorf("read review queue: %w", err))
		return
	}
	if data.Unit != "" {
		// A unit's queue holds the records of the units under it too,
		// walked as a clerk's own units are (allowedUnits).
		tree, err := (&viewer{User: auth.User{Name: "unit " + data.Unit, Units: []string{data.Unit}}}).allowedUnits(ctx, d.src)
		if err != nil {
			d.writeProblem(w, r, err)
			return
		}
		recs = slices.DeleteFunc(recs, func(rec catalog.Record) bool { return !tree.has(rec) })
	}
	data.Total = len(recs)
	if len(recs) > queueMax {
		recs = recs[:queueMax]
	}
	for _, rec := range recs {
		st, err := rv.ReviewState(ctx, rec.ID)
		if err != nil {
			d.writeProblem(w, r, fmt.Errorf("read review of record %d: %w", rec.ID, err))
			return
		}
		data.Rows = append(data.Rows, queueRow{Record: rec, Why: whyReview(rec, st)})
	}
	if r.URL.Query().Get("confirmed") != "" {
		data.Notice = "Đã xác nhận hồ sơ số " + r.URL.Query().Get("confirmed") + " (record confirmed)."
	}
	d.render(w, r, d.review.queue, http.StatusOK, data)
}

// whyReview says why a record is in the queue, as `sohoa review list`.
func whyReview(rec catalog.Record, st ReviewState) []string {
	if rec.Status == catalog.StatusFailed {
		return []string{"lỗi / failed"}
	}
	var why []string
	for _, f := range reviewFieldRows(rec, st) {
		if f.Doubt && (f.Key != "number" || rec.DocType.Value != classify.TypeOther) {
			why = append(why, f.Label)
		}
	}
	if rec.OCRConfidence < 0.5 && rec.Pages > 0 {
		why = append(why, "chất lượng ảnh quét / scan quality")
	}
	return why
}

// reviewField is one field of the review form.
type reviewField struct {
	Key, Label string
	// Value is the value stored; Input what the form shows (what the
	// clerk typed, after a refused save).
	Value, Input string
	Confidence   float64
	ByPerson     bool
	// Doubt is set when the confidence is below the review threshold and
	// no person set the value.
	Doubt bool
	// Options are the choices of doc_type and field.
	Options []classify.Label
	// Words is how many words on the pages the value was found in.
	Words int
}

// reviewLabels are the review fields in the order a clerk reads a
// document, with their labels.
var reviewLabels = []struct{ key, label string }{
	{"doc_type", "Loại văn bản / Type"},
	{"number", "Số ký hiệu / Number"},
	{"issued_on", "Ngày ban hành / Issued on"},
	{"issuer", "Cơ quan ban hành / Issuer"},
	{"subject", "Trích yếu / Subject"},
	{"field", "Lĩnh vực / Field"},
}

func recordValue(rec catalog.Record, key string) catalog.Field {
	switch key {
	case "doc_type":
		return rec.DocType
	case "field":
		return rec.Field
	case "number":
		return rec.Number
	case "issued_on":
		return rec.Issued
	case "issuer":
		return rec.Issuer
	case "subject":
		return rec.Subject
	}
	return catalog.Field{}
}

func reviewFieldRows(rec catalog.Record, st ReviewState) []reviewField {
	out := make([]reviewField, 0, len(reviewLabels))
	for _, l := range reviewLabels {
		f := recordValue(rec, l.key)
		_, by := st.PersonSet[l.key]
		row := reviewField{Key: l.key, Label: l.label, Value: f.Value, Input: f.Value, Confidence: f.Confidence, ByPerson: by,
			Doubt: !by && rec.Status != catalog.StatusFailed && f.Confidence < classify.DefaultThreshold}
		switch l.key {
		case "doc_type":
			row.Options = classify.Types()
		case "field":
			row.Options = classify.Fields()
		}
		out = append(out, row)
	}
	return out
}

// reviewPage is one page image of the review page with the boxes of the
// words each field came from.
type reviewPage struct {
	N int
	// Scanned is the page as scanned it shows, Rotate its turn.
	Scanned, Rotate int
	Image           string
	Boxes           []fieldBox
	HasText         bool
	Confidence      float64
	// Order strings for the buttons that move the page one place.
	Earlier, Later string
}

// reviewData is what the review page shows.
type reviewData struct {
	Record  catalog.Record
	State   ReviewState
	Fields  []reviewField
	Pages   []reviewPage
	Events  []eventRow
	CSRF    string
	Valid   bool
	Problem string
	Notice  string
	// MayAct is set when the viewer may change the record (a clerk of its
	// unit, IT); an auditor sees the page read-only.
	MayAct bool
	// Open is set while the record can take corrections and a
	// confirmation: not queued, processing or failed.
	Open      bool
	Queued    bool
	Confirmed bool
}

// serveReviewPage renders /review/{id}.
func (d *Dashboard) serveReviewPage(w http.ResponseWriter, r *http.Request) {
	rv, ok := d.reviewer(w, r)
	if !ok {
		return
	}
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	data, err := d.reviewData(r, rv, rec)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	q := r.URL.Query()
	switch {
	case q.Get("saved") != "":
		data.Notice = "Đã lưu " + q.Get("saved") + " thay đổi (changes saved)."
	case q.Get("confirmed") != "":
		data.Notice = "Đã xác nhận: hồ sơ đã số hóa (confirmed: the record is digitized)."
		if q.Get("trained") != "" {
			data.Notice += " Bộ phân loại đã được huấn luyện lại (the classifier was retrained)."
		}
	case q.Get("pages") != "":
		data.Notice = "Đã sắp lại các trang; hồ sơ đang được đọc lại (pages changed; the record is being read again)."
	}
	if err := d.logAccess(r, actionReviewView, rec.ID, map[string]any{"what": "review", "path": r.URL.Path}); err != nil {
		d.writeProblem(w, r, err)
		return
	}
	d.render(w, r, d.review.page, http.StatusOK, data)
}

// reviewData gathers what the review page of rec shows.
func (d *Dashboard) reviewData(r *http.Request, rv Reviewer, rec catalog.Record) (reviewData, error) {
	ctx := r.Context()
	st, err := rv.ReviewState(ctx, rec.ID)
	if err != nil {
		return reviewData{}, fmt.Errorf("read review of record %d: %w", rec.ID, err)
	}
	pgs, err := d.src.Pages(ctx, rec.ID)
	if err != nil {
		return reviewData{}, fmt.Errorf("read pages of record %d: %w", rec.ID, err)
	}
	events, err := d.src.Events(ctx, rec.ID)
	if err != nil {
		return reviewData{}, fmt.Errorf("read history of record %d: %w", rec.ID, err)
	}
	may, err := d.mayActFor(ctx, rec.Unit)
	if err != nil {
		return reviewData{}, err
	}
	data := reviewData{Record: rec, State: st, Fields: reviewFieldRows(rec, st), CSRF: CSRFToken(r), Valid: st.Valid, MayAct: may,
		Confirmed: st.Confirmed}
	switch rec.Status {
	case catalog.StatusQueued, catalog.StatusProcessing:
		data.Queued = true
	case catalog.StatusNeedsReview, catalog.StatusDigitized:
		data.Open = true
	}
	boxes := fieldBoxes(rec, pgs)
	for i := range data.Fields {
		for _, b := range boxes {
			if b.Field == data.Fields[i].Key {
				data.Fields[i].Words++
			}
		}
	}
	n := rec.Pages
	for _, p := range pgs {
		n = max(n, p.N)
	}
	byN := map[int]catalog.Page{}
	for _, p := range pgs {
		byN[p.N] = p
	}
	// The images are revalidated on every view (recordimage.go: their
	// ETag follows the archive), so pages changed and read again show.
	for i := 1; i <= n; i++ {
		pv := reviewPage{N: i, Scanned: i, Image: fmt.Sprintf("/records/%d/pages/%d.png", rec.ID, i)}
		if i-1 < len(st.Plan) {
			pv.Scanned, pv.Rotate = st.Plan[i-1][0], st.Plan[i-1][1]
		}
		if p, ok := byN[i]; ok {
			pv.HasText, pv.Confidence = true, p.Confidence
		}
		for _, b := range boxes {
			if b.Page == i {
				pv.Boxes = append(pv.Boxes, b)
			}
		}
		if i > 1 {
			pv.Earlier = moveOrder(n, i, i-1)
		}
		if i < n {
			pv.Later = moveOrder(n, i, i+1)
		}
		data.Pages = append(data.Pages, pv)
	}
	for _, e := range events {
		label := actionLabels[e.Action]
		switch e.Action {
		case "confirm":
			label = "xác nhận / confirm"
		case "pages":
			label = "sắp trang / pages"
		case actionReviewView:
			label = "xem để kiểm tra / review view"
		}
		if label == "" {
			label = e.Action
		}
		data.Events = append(data.Events, eventRow{Event: e, Label: label})
	}
	return data, nil
}

// moveOrder is the order= op that moves page from to place to of n.
func moveOrder(n, from, to int) string {
	order := make([]int, 0, n)
	for i := 1; i <= n; i++ {
		if i != from {
			order = append(order, i)
		}
	}
	order = slices.Insert(order, to-1, from)
	s := make([]string, len(order))
	for i, p := range order {
		s[i] = strconv.Itoa(p)
	}
	return "order=" + strings.Join(s, ",")
}

// actable loads the record of the path for a change: 404 when the viewer
// may not see it, 403 (logged) when it may see but not act for its unit.
func (d *Dashboard) actable(w http.ResponseWriter, r *http.Request) (Reviewer, catalog.Record, bool) {
	rv, ok := d.reviewer(w, r)
	if !ok {
		return nil, catalog.Record{}, false
	}
	rec, err := d.loadRecord(r)
	if err != nil {
		d.writeProblem(w, r, err)
		return nil, rec, false
	}
	may, err := d.mayActFor(r.Context(), rec.Unit)
	if err != nil {
		d.writeProblem(w, r, err)
		return nil, rec, false
	}
	if !may {
		v := viewerFrom(r.Context())
		if v != nil {
			d.logDenied(r, v, r.Pattern)
		}
		role := auth.Role("")
		if v != nil {
			role = v.Role
		}
		w.Header().Set(deniedHeader, "unit")
		d.render(w, r, d.evidence.problem, http.StatusForbidden, problemData{Status: http.StatusForbidden,
			Problem: fmt.Sprintf("vai trò %s không được sửa hồ sơ của đơn vị %s (the %s role may not change records of unit %s)", role.Label(), rec.Unit, role, rec.Unit)})
		return nil, rec, false
	}
	return rv, rec, true
}

// serveReviewPost saves the form's corrections and, with
// action=confirm, confirms the record: POST /review/{id}. Only the
// fields whose value differs from the record's are corrections; a value
// refused shows the page again with what the clerk typed and why.
func (d *Dashboard) serveReviewPost(w http.ResponseWriter, r *http.Request) {
	rv, rec, ok := d.actable(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		d.writeProblem(w, r, fmt.Errorf("read form: %w", err))
		return
	}
	st, err := rv.ReviewState(ctx, rec.ID)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	var (
		cs       []review.Correction
		problems []string
	)
	typed := map[string]string{}
	now := d.now()
	for _, name := range review.Fields {
		raw, sent := r.PostForm[name]
		if !sent {
			continue
		}
		val := strings.Join(raw, " ")
		typed[name] = val
		cur := recordValue(rec, name).Value
		if name == "valid" {
			cur = strconv.FormatBool(st.Valid)
		}
		// A field left as the page showed it is no correction, even one
		// the rules would refuse (a subject the pipeline read as empty).
		if strings.Join(strings.Fields(val), " ") == cur {
			continue
		}
		c, err := review.Parse(name, val, now)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if c.Value != cur {
			cs = append(cs, c)
		}
	}
	confirm := r.PostForm.Get("action") == "confirm"
	who := actor(r)
	var changes []Change
	if len(problems) == 0 && len(cs) > 0 {
		changes, err = rv.Correct(ctx, rec.ID, who, cs)
		if err != nil && !isRefusal(err) {
			d.writeProblem(w, r, err)
			return
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		d.reviewRefused(w, r, rv, rec, typed, problems)
		return
	}
	if !confirm {
		http.Redirect(w, r, fmt.Sprintf("/review/%d?saved=%d", rec.ID, len(changes)), http.StatusSeeOther)
		return
	}
	conf, err := rv.Confirm(ctx, rec.ID, who)
	if isRefusal(err) {
		cur, _ := d.src.Record(ctx, rec.ID)
		d.reviewRefused(w, r, rv, cur, nil, []string{err.Error()})
		return
	}
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	if conf.TrainError != "" {
		d.log.Warn("automatic retraining failed", "record", rec.ID, "err", conf.TrainError)
	}
	u := fmt.Sprintf("/review/%d?confirmed=1", rec.ID)
	if conf.Retrained {
		u += "&trained=1"
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func isRefusal(err error) bool {
	var rf *Refusal
	return errors.As(err, &rf)
}

// reviewRefused shows the review page again, 422, with why and what the
// clerk typed.
func (d *Dashboard) reviewRefused(w http.ResponseWriter, r *http.Request, rv Reviewer, rec catalog.Record, typed map[string]string, problems []string) {
	data, err := d.reviewData(r, rv, rec)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	for i := range data.Fields {
		if v, ok := typed[data.Fields[i].Key]; ok {
			data.Fields[i].Input = v
		}
	}
	if v, ok := typed["valid"]; ok {
		c, err := review.Parse("valid", v, d.now())
		data.Valid = err == nil && c.Value == "true"
	}
	data.Problem = strings.Join(problems, "\n")
	d.render(w, r, d.review.page, http.StatusUnprocessableEntity, data)
}

// serveReviewPages turns, re-orders or removes pages and sends the record
// through the pipeline again: POST /review/{id}/pages with op=… (the
// button pressed: rotate=2:90, remove=3, order=2,1,3, reset) and order
// (a typed order, 2,1,3).
func (d *Dashboard) serveReviewPages(w http.ResponseWriter, r *http.Request) {
	rv, rec, ok := d.actable(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		d.writeProblem(w, r, fmt.Errorf("read form: %w", err))
		return
	}
	var ops []string
	for _, op := range r.PostForm["op"] {
		if op = strings.TrimSpace(op); op != "" {
			ops = append(ops, op)
		}
	}
	if o := strings.TrimSpace(r.PostForm.Get("order")); o != "" && len(ops) == 0 {
		ops = append(ops, "order="+o)
	}
	if len(ops) == 0 {
		d.reviewRefused(w, r, rv, rec, nil, []string{"chưa chọn thao tác nào với trang (no page operation given)"})
		return
	}
	err := rv.ChangePages(r.Context(), rec.ID, actor(r), ops)
	if isRefusal(err) {
		d.reviewRefused(w, r, rv, rec, nil, []string{err.Error()})
		return
	}
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/review/%d?pages=%s", rec.ID, url.QueryEscape(strings.Join(ops, " "))), http.StatusSeeOther)
}
