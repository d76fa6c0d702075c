package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"sohoa/pipeline"
	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
)

// The upload API, shaped after tus (tus.io) but smaller:
//
//	POST  /api/uploads        {name, size, unit, split, duplex, last_modified}
//	                          → {id, offset, size, complete, documents, events}
//	PATCH /api/uploads/{id}   Upload-Offset: N, body: the bytes from N on
//	                          → the same; 409 with the right offset when N is not it
//	GET   /api/uploads/{id}/events   server-sent events (upload_events.go)
//
// The last chunk's answer comes once the file is stored and recorded, and
// lists its documents (one, or a split stack's first while the pipeline
// has not split it yet).

// offsetHeader carries where a chunk starts, and where the next must.
const offsetHeader = "Upload-Offset"

// takeTimeout bounds storing and recording a whole file, which goes on
// when the browser hangs up meanwhile.
const takeTimeout = 30 * time.Minute

// chunkIdle is how long a chunk may send nothing before it is cut.
const chunkIdle = time.Minute

// errStopping ends a chunk when serve stops.
var errStopping = errors.New("serve is stopping")

// uploadStart is the body of POST /api/uploads.
type uploadStart struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Unit string `json:"unit"`
	// Split is "", "blank", "blank-duplex" or "pages:N" (pipeline.ParseSplit);
	// Duplex goes with "blank".
	Split        string `json:"split"`
	Duplex       bool   `json:"duplex"`
	LastModified int64  `json:"last_modified"`
}

// uploadState is what the API answers about an upload.
type uploadState struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	Split    string `json:"split"`
	Size     int64  `json:"size"`
	Offset   int64  `json:"offset"`
	Complete bool   `json:"complete"`
	// RecordedBefore is set when the file had been recorded already
	// (uploaded before, or dropped in a watched folder): nothing new was
	// made of it.
	RecordedBefore bool        `json:"recorded_before"`
	Batch          int64       `json:"batch,omitempty"`
	Documents      []uploadDoc `json:"documents"`
	Events         string      `json:"events"`
	// Processing is false when serve runs no pipeline: the documents wait
	// for `sohoa worker`.
	Processing bool `json:"processing"`
}

// uploadDoc is one document an upload became.
type uploadDoc struct {
	ID          int64          `json:"id"`
	Source      string         `json:"source"`
	FirstPage   int            `json:"first_page"`
	LastPage    int            `json:"last_page"`
	Pages       int            `json:"pages"`
	PagesDone   int            `json:"pages_done"`
	Status      catalog.Status `json:"status"`
	StatusLabel string         `json:"status_label"`
	Stage       string         `json:"stage"`
	Final       bool           `json:"final"`
	DocType     string         `json:"doc_type"`
	TypeName    string         `json:"type_name"`
	Number      string         `json:"number"`
	Issued      string         `json:"issued_on"`
	Subject     string         `json:"subject"`
	DuplicateOf int64          `json:"duplicate_of,omitempty"`
	Error       string         `json:"error,omitempty"`
	URL         string         `json:"url"`
}

func toUploadDoc(r catalog.Record) uploadDoc {
	doc := uploadDoc{ID: r.ID, Source: r.Source, FirstPage: r.FirstPage, LastPage: r.LastPage, Pages: r.Pages,
		Status: r.Status, StatusLabel: recordStatusLabel(r.Status), Stage: r.Stage, Final: r.Status.Final(),
		DocType: r.DocType.Value, TypeName: classify.TypeName(r.DocType.Value), Number: r.Number.Value,
		Issued: r.Issued.Value, Subject: r.Subject.Value, DuplicateOf: r.DuplicateOf, Error: r.Error,
		URL: fmt.Sprintf("/records/%d", r.ID)}
	if doc.Final {
		doc.PagesDone = r.Pages
	}
	return doc
}

// uploadProblem is an error answer, with the offset to go on from when
// there is one.
type uploadProblem struct {
	Error  string `json:"error"`
	Offset *int64 `json:"offset,omitempty"`
}

func (d *Dashboard) uploadError(w http.ResponseWriter, r *http.Request, status int, msg string, offset ...int64) {
	p := uploadProblem{Error: msg}
	if len(offset) > 0 {
		p.Offset = &offset[0]
		w.Header().Set(offsetHeader, strconv.FormatInt(offset[0], 10))
	}
	if status >= 500 {
		d.log.Error("upload", "path", r.URL.Path, "status", status, "err", msg)
	}
	d.writeJSONStatus(w, r, status, p)
}

// uploadsOff answers when serve takes no uploads.
func (d *Dashboard) uploadsOff(w http.ResponseWriter, r *http.Request) bool {
	if d.uploads.on() {
		return false
	}
	d.uploadError(w, r, http.StatusServiceUnavailable, "máy chủ này không nhận tải lên (this server takes no uploads): báo bộ phận CNTT (tell IT)")
	return true
}

// serveUploadStart begins an upload, or finds the one begun before for
// the same file.
func (d *Dashboard) serveUploadStart(w http.ResponseWriter, r *http.Request) {
	if d.uploadsOff(w, r) {
		return
	}
	ctx := r.Context()
	user, ok := requestUser(ctx)
	if !ok {
		d.uploadError(w, r, http.StatusForbidden, "cần đăng nhập để tải lên (sign in to upload)")
		return
	}
	var req uploadStart
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&req); err != nil {
		d.uploadError(w, r, http.StatusBadRequest, "yêu cầu không phải JSON {name, size, unit, split} (the request is not JSON {name, size, unit, split}): "+err.Error())
		return
	}
	name, err := cleanUploadName(req.Name)
	if err != nil {
		d.uploadError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	max := d.uploads.cfg.MaxSize
	switch {
	case req.Size <= 0:
		d.uploadError(w, r, http.StatusBadRequest, fmt.Sprintf("%s: tệp rỗng, không có gì để nhập (the file is empty): quét lại (rescan it)", name))
		return
	case req.Size > max:
		d.uploadError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"%s: tệp %s, lớn hơn mức cho phép %s — chia nhỏ bản quét, hoặc nhờ CNTT tăng --upload-max (the file is %s, over the %s limit: split the scan, or ask IT to raise --upload-max)",
			name, sizeText(req.Size), sizeText(max), sizeText(req.Size), sizeText(max)))
		return
	}
	rule, err := pipeline.ParseSplit(strings.TrimSpace(req.Split), req.Duplex)
	if err != nil {
		d.uploadError(w, r, http.StatusBadRequest, "cách tách / split: "+err.Error())
		return
	}
	unit := strings.TrimSpace(req.Unit)
	if unit == "" {
		d.uploadError(w, r, http.StatusBadRequest, "chưa chọn đơn vị (choose the unit the scans belong to)")
		return
	}
	if !d.mayUploadFor(w, r, unit) {
		return
	}
	id := uploadID(user.Name, unit, name, req.Size, req.LastModified, rule.String())
	lock := d.uploads.lock(id)
	if !lock.TryLock() {
		d.uploadError(w, r, http.StatusConflict, "tệp này đang được tải lên ở cửa sổ khác, chờ một chút rồi thử lại (this file is being uploaded from another window: wait a moment and try again)")
		return
	}
	defer lock.Unlock()
	m, err := d.uploads.readMeta(id)
	status := http.StatusOK
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m = uploadMeta{ID: id, User: user.Name, Unit: unit, Name: name, Size: req.Size, LastModified: req.LastModified,
			Split: rule.String(), Started: d.now().UTC()}
		if err := d.uploads.writeMeta(m); err != nil {
			d.uploadError(w, r, http.StatusInternalServerError, "không ghi được vào thư mục dữ liệu — báo CNTT (cannot write to the data folder: tell IT): "+err.Error())
			return
		}
		status = http.StatusCreated
	case err != nil:
		d.uploadError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	st, err := d.uploadState(ctx, m)
	if err != nil {
		d.uploadError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set(offsetHeader, strconv.FormatInt(st.Offset, 10))
	d.writeJSONStatus(w, r, status, st)
}

// mayUploadFor answers a unit the user may not upload for (and reports
// false): 403, logged as a refused change, for a unit not the user's;
// 422 for a unit not in force today.
func (d *Dashboard) mayUploadFor(w http.ResponseWriter, r *http.Request, unit string) bool {
	ctx := r.Context()
	ok, err := d.mayActFor(ctx, unit)
	if err != nil {
		d.uploadError(w, r, http.StatusInternalServerError, err.Error())
		return false
	}
	if !ok {
		v := viewerFrom(ctx)
		b, _ := json.Marshal(map[string]any{"method": r.Method, "path": r.URL.Path, "unit": unit, "role": v.Role, "why": "unit"})
		if err := d.src.AppendEvent(ctx, catalog.Event{Actor: v.Name, Action: actionDenied, Details: string(b)}); err != nil {
			d.log.Error("log refused upload", "user", v.Name, "unit", unit, "err", err)
		}
		d.log.Warn("refused upload for another unit", "user", v.Name, "role", v.Role, "unit", unit)
		d.uploadError(w, r, http.StatusForbidden, fmt.Sprintf(
			"bạn không được nhập hồ sơ cho đơn vị %s (you may not ingest for unit %s): chọn đơn vị của mình, hoặc nhờ quản trị thêm đơn vị (choose one of your units, or ask the admin to add this one)", unit, unit))
		return false
	}
	scheme := catalog.SchemeOn(d.now())
	units, err := d.src.Units(ctx, scheme)
	if err != nil {
		d.uploadError(w, r, http.StatusInternalServerError, fmt.Sprintf("read the units in force: %v", err))
		return false
	}
	for _, u := range units {
		if u.Code == unit {
			return true
		}
	}
	d.uploadError(w, r, http.StatusUnprocessableEntity, fmt.Sprintf(
		"đơn vị %s không có trong danh mục đang hiệu lực (%s) — chọn đơn vị hiện nay; xem sohoa units show %s (unit %s is not in force today: choose today's unit)",
		unit, scheme, unit, unit))
	return false
}

// loadUpload reads the upload the path names, of the user of r; false
// (answered 404) when there is none.
func (d *Dashboard) loadUpload(w http.ResponseWriter, r *http.Request) (uploadMeta, bool) {
	id := r.PathValue("id")
	user, ok := requestUser(r.Context())
	if validUploadID(id) && ok && d.uploads.on() {
		m, err := d.uploads.readMeta(id)
		if err == nil && m.User == user.Name {
			return m, true
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.uploadError(w, r, http.StatusInternalServerError, err.Error())
			return m, false
		}
	}
	d.uploadError(w, r, http.StatusNotFound, "không có lượt tải lên này — chọn lại tệp để tải lên (no such upload: choose the file again)")
	return uploadMeta{}, false
}

// serveUploadChunk appends the bytes of one chunk at Upload-Offset, and
// once the file is whole stores and records it.
func (d *Dashboard) serveUploadChunk(w http.ResponseWriter, r *http.Request) {
	m, ok := d.loadUpload(w, r)
	if !ok {
		return
	}
	u := d.uploads
	ctx := r.Context()
	lock := u.lock(m.ID)
	if !lock.TryLock() {
		have, _ := u.offset(m.ID)
		d.uploadError(w, r, http.StatusConflict, "tệp này đang được tải lên ở cửa sổ khác (this file is being uploaded from another window): thử lại sau (try again later)", have)
		return
	}
	defer lock.Unlock()
	if m, ok = d.loadUpload(w, r); !ok { // as it is now we hold the lock
		return
	}
	if m.Taken == nil && !d.mayUploadFor(w, r, m.Unit) {
		return
	}
	have, err := u.offset(m.ID)
	if err != nil {
		d.uploadError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	if m.Taken != nil {
		have = m.Size
	}
	want, err := strconv.ParseInt(r.Header.Get(offsetHeader), 10, 64)
	if err != nil || want < 0 {
		d.uploadError(w, r, http.StatusBadRequest, "thiếu tiêu đề Upload-Offset (the Upload-Offset header is missing or not a number)", have)
		return
	}
	if want != have {
		d.uploadError(w, r, http.StatusConflict, fmt.Sprintf("máy chủ đã có %d byte của tệp, gửi tiếp từ đó (the server holds %d bytes of the file: go on from there)", have, have), have)
		return
	}
	if m.Taken == nil && r.ContentLength > m.Size-have {
		d.uploadError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: gửi nhiều hơn %d byte đã báo (more bytes than the %d announced)", m.Name, m.Size, m.Size), have)
		return
	}
	if m.Taken == nil && have < m.Size {
		n, err := u.receive(w, r, m.ID, have, m.Size-have)
		have += n
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			d.uploadError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: gửi nhiều hơn %d byte đã báo (more bytes than the %d announced)", m.Name, m.Size, m.Size), have)
			return
		case errors.Is(err, errStopping):
			d.uploadError(w, r, http.StatusServiceUnavailable, "máy chủ đang dừng; phần đã nhận được giữ lại, tải tiếp khi máy chủ chạy lại (serve is stopping: what arrived is kept, go on once it is back)", have)
			return
		case errors.Is(err, errDiskWrite):
			d.uploadError(w, r, http.StatusInsufficientStorage, fmt.Sprintf("không ghi được tệp tải lên vào thư mục dữ liệu — có thể đầy đĩa; báo CNTT (cannot write the upload to the data folder, the disk may be full: tell IT): %v", err), have)
			return
		case err != nil:
			d.uploadError(w, r, http.StatusBadRequest, fmt.Sprintf("đường truyền bị ngắt, gửi tiếp từ byte %d (the connection broke: go on from byte %d): %v", have, have, err), have)
			return
		}
	}
	if m.Taken == nil && have == m.Size {
		// Storing a large file may take longer than serve's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(takeTimeout))
		if err := d.takeUpload(ctx, &m); err != nil {
			d.uploadError(w, r, http.StatusInternalServerError, fmt.Sprintf("%s: đã nhận đủ tệp nhưng chưa lưu được vào kho — thử lại; báo CNTT nếu vẫn lỗi (the file arrived whole but could not be stored: try again, tell IT if it persists): %v", m.Name, err), have)
			return
		}
	}
	st, err := d.uploadState(ctx, m)
	if err != nil {
		d.uploadError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set(offsetHeader, strconv.FormatInt(st.Offset, 10))
	d.writeJSON(w, r, st)
}

// errDiskWrite marks a failure to write the upload's file.
var errDiskWrite = errors.New("write upload")

// receive appends the body of r (at most limit bytes) to the upload's
// file at offset and makes what it wrote durable, also when the body
// breaks off: it returns the bytes kept. A body that stays silent for
// chunkIdle is cut, whatever serve's read timeout, so a slow line can
// send a large chunk.
func (u *uploads) receive(w http.ResponseWriter, r *http.Request, id string, offset, limit int64) (int64, error) {
	f, err := os.OpenFile(u.partPath(id), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("%w %s: %v", errDiskWrite, id, err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return 0, fmt.Errorf("%w %s: %v", errDiskWrite, id, err)
	}
	rc := http.NewResponseController(w)
	body := http.MaxBytesReader(w, r.Body, limit)
	buf := make([]byte, 256<<10)
	var n int64
	var cause error
	for cause == nil {
		select {
		case <-u.stopping:
			cause = errStopping
			continue
		default:
		}
		_ = rc.SetReadDeadline(time.Now().Add(chunkIdle))
		k, rerr := body.Read(buf)
		if k > 0 {
			if _, werr := f.Write(buf[:k]); werr != nil {
				cause = fmt.Errorf("%w %s: %v", errDiskWrite, id, werr)
				break
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			break
		}
		cause = rerr
	}
	var tooBig *http.MaxBytesError
	if errors.As(cause, &tooBig) {
		n = 0 // the chunk is not the file's: keep none of it
		if err := f.Truncate(offset); err != nil && cause == nil {
			cause = err
		}
	}
	if err := f.Sync(); err != nil && cause == nil {
		cause = fmt.Errorf("%w %s: %v", errDiskWrite, id, err)
	}
	if err := f.Close(); err != nil && cause == nil {
		cause = fmt.Errorf("%w %s: %v", errDiskWrite, id, err)
	}
	if offset == 0 {
		if err := syncDir(u.cfg.Dir); err != nil && cause == nil {
			cause = fmt.Errorf("%w %s: %v", errDiskWrite, id, err)
		}
	}
	return n, cause
}

// takeUpload hands the whole file to the pipeline, notes what became of
// it and drops the bytes, now in the object store. It goes on if the
// browser hangs up meanwhile.
func (d *Dashboard) takeUpload(ctx context.Context, m *uploadMeta) error {
	u := d.uploads
	rule, err := pipeline.ParseSplit(m.Split, false)
	if err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), takeTimeout)
	defer cancel()
	t, err := u.cfg.Take(tctx, pipeline.TakeRequest{Path: u.partPath(m.ID), Name: m.Name, Unit: m.Unit, Clerk: m.User, Split: rule})
	if err != nil {
		return err
	}
	if t.Record.Size != m.Size {
		return fmt.Errorf("take %s: stored %d bytes, the browser sent %d", m.Name, t.Record.Size, m.Size)
	}
	if !t.Before {
		b, _ := json.Marshal(map[string]any{"via": "web", "upload": m.ID, "name": m.Name, "size": m.Size, "unit": m.Unit, "split": m.Split})
		if err := d.src.AppendEvent(tctx, catalog.Event{Actor: m.User, Action: "upload", RecordID: t.Record.ID, Details: string(b)}); err != nil {
			d.log.Warn("log upload", "record", t.Record.ID, "err", err)
		}
	}
	m.Taken = &uploadTaken{Record: t.Record.ID, Batch: t.Record.BatchID, Before: t.Before, At: d.now().UTC()}
	if err := u.writeMeta(*m); err != nil {
		return err
	}
	if err := os.Remove(u.partPath(m.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("remove uploaded file once stored", "upload", m.ID, "err", err)
	}
	return nil
}

// uploadState is the API's view of upload m: the bytes kept and, once
// taken, the documents.
func (d *Dashboard) uploadState(ctx context.Context, m uploadMeta) (uploadState, error) {
	st := uploadState{ID: m.ID, Name: m.Name, Unit: m.Unit, Split: m.Split, Size: m.Size, Documents: []uploadDoc{},
		Events: "/api/uploads/" + m.ID + "/events", Processing: d.uploads.cfg.Processing}
	if m.Taken == nil {
		off, err := d.uploads.offset(m.ID)
		st.Offset = min(off, m.Size)
		return st, err
	}
	st.Offset, st.Complete, st.RecordedBefore, st.Batch = m.Size, true, m.Taken.Before, m.Taken.Batch
	recs, err := d.uploadRecords(ctx, *m.Taken)
	if err != nil {
		return st, err
	}
	for _, r := range recs {
		st.Documents = append(st.Documents, toUploadDoc(r))
	}
	return st, nil
}

// uploadRecords returns the documents of a taken upload: every record of
// its batch (a split stack has one per document).
func (d *Dashboard) uploadRecords(ctx context.Context, t uploadTaken) ([]catalog.Record, error) {
	recs, err := d.src.List(ctx, catalog.Filter{BatchID: t.Batch})
	if err != nil {
		return nil, fmt.Errorf("read the records of batch %d: %w", t.Batch, err)
	}
	if len(recs) == 0 {
		r, err := d.src.Record(ctx, t.Record)
		if err != nil {
			return nil, fmt.Errorf("read record %d: %w", t.Record, err)
		}
		recs = []catalog.Record{r}
	}
	return recs, nil
}

// sizeText is a size as a clerk reads it.
func sizeText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f KB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
