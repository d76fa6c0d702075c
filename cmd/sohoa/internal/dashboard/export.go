package dashboard

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sohoa/storage/catalog"
	evidencebag "sohoa/storage/evidence"
)

// exportVia is what the export events of the dashboard say they came
// through.
const exportVia = "dashboard"

// exportTail is how many of a bag's last bytes are held back until its
// export is in the audit log: the zip's directory is at its end, so
// without them no tool opens the bag. A bag whose export could not be
// logged is never delivered whole.
const exportTail = 4 << 10

// exportDeadline is how far each write of a bag pushes the response's
// write deadline: a bag of a whole district takes longer than serve's
// WriteTimeout, and keeps going while the browser keeps reading.
const exportDeadline = 2 * time.Minute

// addExport registers /export.zip. The bag reads the records through the
// dashboard's scoped source, so a clerk's bag holds its units' records
// only; the audit chain and the catalog's sums of the archival PDFs are
// src's own, when it has them.
func (d *Dashboard) addExport(src Source) {
	x := evidencebag.Exporter{Catalog: d.src, Objects: d.objects}
	x.Chain, _ = src.(catalog.AuditLog)
	x.Sums, _ = src.(evidencebag.Sums)
	d.mux.HandleFunc("GET /export.zip", func(w http.ResponseWriter, r *http.Request) { d.serveExport(w, r, x) })
}

// ExportLink is the address of the evidence bag of every record of this
// search: /export.zip with the search's parameters, the page left out.
func (f searchForm) ExportLink() string {
	v := url.Values{}
	if f.Text != "" {
		v.Set("q", f.Text)
	}
	for name, s := range f.Params {
		v.Set(name, s)
	}
	if len(v) == 0 {
		v.Set("all", "1")
	}
	return "/export.zip?" + v.Encode()
}

// serveExport answers /export.zip?<the parameters of /search>: the
// BagIt bag (evidencebag.Exporter, as `sohoa export` writes it) of every
// record the search finds that the viewer may see, streamed as it is
// built, under the name sohoa-bag-YYYYMMDD-HHMM.zip. No filter at all
// needs all=1, as the command needs --all. The export is an event of
// the audit log, with the viewer as its actor, logged before the bag's
// last bytes are sent; the bag's sha256 follows in the
// X-Sohoa-Sha256 trailer.
func (d *Dashboard) serveExport(w http.ResponseWriter, r *http.Request, x evidencebag.Exporter) {
	ctx := r.Context()
	params := r.URL.Query()
	form, err := parseSearch(params)
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	if !form.asked() && params.Get("all") != "1" {
		d.writeProblem(w, r, badRequestf("chưa có bộ lọc: tìm theo đơn vị, loại, từ khóa… hoặc thêm all=1 để xuất mọi hồ sơ (no filter: give one, or all=1 to export every record)"))
		return
	}
	if x.Objects == nil {
		d.writeProblem(w, r, errNoStore)
		return
	}
	q := form.Query
	q.Limit, q.Offset = 0, 0
	ids, err := x.Select(ctx, q)
	if errors.Is(err, evidencebag.ErrNoRecords) {
		err = fmt.Errorf("%w: %w", err, catalog.ErrNotFound)
	}
	if err != nil {
		d.writeProblem(w, r, err)
		return
	}
	now := d.now()
	bag := evidencebag.Bag{
		Name: "sohoa-bag-" + now.Format("20060102-1504"), Organization: evidencebag.Organization(ctx, d.src, q.Unit, now),
		Actor: actor(r), Now: now, Query: q, IDs: ids, Via: exportVia,
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", contentDisposition("attachment", bag.Name+".zip"))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Sohoa-Records", strconv.Itoa(len(ids)))
	h.Set("Trailer", sha256Header)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return // headers only: nothing exported, nothing logged
	}
	out := &heldWriter{w: w, rc: http.NewResponseController(w), hold: exportTail}
	res, err := x.Write(ctx, out, bag, nil)
	if err == nil {
		err = x.Record(ctx, bag, res)
	}
	if err == nil {
		err = out.release()
	}
	if err == nil {
		h.Set(sha256Header, res.SHA256)
		return
	}
	if out.sent == 0 {
		// Nothing is sent yet: the answer can still say what went wrong.
		h.Del("Content-Disposition")
		h.Del("Trailer")
		h.Del("X-Sohoa-Records")
		d.writeProblem(w, r, err)
		return
	}
	if ctx.Err() == nil {
		d.log.Error("export bag", "actor", bag.Actor, "records", len(ids), "err", err)
	}
	// The status is sent: only cutting the connection tells the browser
	// the bag is not whole.
	panic(http.ErrAbortHandler)
}

// heldWriter passes bytes on to w but holds the last hold of them back
// until release, and keeps pushing w's write deadline while bytes flow.
type heldWriter struct {
	w        io.Writer
	rc       *http.ResponseController
	hold     int
	buf      []byte
	sent     int64
	deadline time.Time
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	if over := len(h.buf) - h.hold; over > 0 {
		if err := h.send(h.buf[:over]); err != nil {
			return 0, err
		}
		h.buf = h.buf[:copy(h.buf, h.buf[over:])]
	}
	return len(p), nil
}

// release sends what is held back.
func (h *heldWriter) release() error {
	err := h.send(h.buf)
	h.buf = h.buf[:0]
	return err
}

func (h *heldWriter) send(p []byte) error {
	if now := time.Now(); now.After(h.deadline.Add(-exportDeadline / 2)) {
		h.deadline = now.Add(exportDeadline)
		_ = h.rc.SetWriteDeadline(h.deadline) // not every writer has one
	}
	n, err := h.w.Write(p)
	h.sent += int64(n)
	if err != nil {
		return fmt.Errorf("send the bag: %w", err)
	}
	return nil
}
