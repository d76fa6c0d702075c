package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// serveProgress answers /api/progress?year=&as_of=&level=&unit=&behind=
// with exactly what `sohoa progress --json` prints for the same flags.
func (d *Dashboard) serveProgress(w http.ResponseWriter, r *http.Request) {
	q, err := d.parseQuery(r.URL.Query())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	rep, err := d.report(r.Context(), q)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	rep = filtered(rep, q)
	if q.unit != "" && len(rep.Rows) == 0 && !q.behind {
		d.writeJSONStatus(w, r, http.StatusNotFound, apiError{Error: fmt.Sprintf(
			"không có đơn vị %s trong danh mục năm %d (no unit %s in force in %d)", q.unit, q.year, q.unit, q.year)})
		return
	}
	d.writeJSON(w, r, rep)
}

// serveUnits answers /api/units?q=&year= with the units whose name holds
// q, accents and case aside.
func (d *Dashboard) serveUnits(w http.ResponseWriter, r *http.Request) {
	q, err := d.parseQuery(r.URL.Query())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	text := strings.TrimSpace(r.URL.Query().Get("q"))
	if text == "" {
		d.writeError(w, r, badRequestf("thiếu q: tên đơn vị cần tìm (give q, the name to look for)"))
		return
	}
	matches, err := d.searchUnits(r.Context(), text, q.year)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	d.writeJSON(w, r, matches)
}

// serveHealth answers /api/health with the pipeline's state.
func (d *Dashboard) serveHealth(w http.ResponseWriter, r *http.Request) {
	h, err := d.health(r.Context())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	d.writeJSON(w, r, h)
}

// serveHistory answers /api/history?unit= with the unit's percent and
// target in each year of the schedule.
func (d *Dashboard) serveHistory(w http.ResponseWriter, r *http.Request) {
	unit := r.URL.Query().Get("unit")
	if unit == "" {
		d.writeError(w, r, badRequestf("thiếu unit: mã đơn vị (give unit, a unit code)"))
		return
	}
	h, err := d.history(r.Context(), unit)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	d.writeJSON(w, r, h)
}

// apiError is the body of a failed /api/ request.
type apiError struct {
	Error string `json:"error"`
}

func (d *Dashboard) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := httpStatus(err)
	if code == http.StatusInternalServerError {
		d.log.Error("serve", "path", r.URL.Path, "err", err)
	}
	var br *badRequest
	msg := err.Error()
	if errors.As(err, &br) {
		msg = br.msg
	}
	d.writeJSONStatus(w, r, code, apiError{Error: msg})
}

func (d *Dashboard) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	d.writeJSONStatus(w, r, http.StatusOK, v)
}

// writeJSONStatus writes v the way the command line prints JSON
// (indented by two spaces, < > & as they are), so the two compare equal.
func (d *Dashboard) writeJSONStatus(w http.ResponseWriter, r *http.Request, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		d.log.Warn("write response", "path", r.URL.Path, "err", err)
	}
}
