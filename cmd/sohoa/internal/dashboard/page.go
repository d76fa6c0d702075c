package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
)

// maxRowsShown bounds the table: a level's thousands of communes are the
// API's to give, not a page's.
const maxRowsShown = 300

// pageData is what the page template shows.
type pageData struct {
	Year   int
	Years  []int
	AsOf   string
	Scheme catalog.Scheme
	// Search is the name typed in the search box, Matches what it found.
	Search  string
	Matches []UnitMatch
	// Unit is the unit drilled down to (nil on the overview), Trail its
	// parents from the top.
	Unit  *progress.Row
	Trail []progress.Row
	// Level and Behind are the table's filters.
	Level  catalog.Level
	Behind bool
	Levels []LevelSummary
	// Rows are the table's, by gap; RowsTotal how many matched before
	// the table was cut at maxRowsShown.
	Rows      []progress.Row
	RowsTotal int
	// ShowTable is false for a commune on its own: nothing is under it.
	ShowTable  bool
	Unassigned int
	Health     Health
	// Fixity is what the fixity checks found; nil when not shown.
	Fixity *FixityView
	// Problem is why there are no figures (no units imported, a bad
	// parameter), in the reader's words.
	Problem string
}

// servePage renders the dashboard page for ?year=&unit=&level=&behind=&q=.
func (d *Dashboard) servePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	// The pipeline's health is read while the progress is: it needs
	// nothing of it, and the machine has more than one core.
	type healthRead struct {
		h   Health
		err error
	}
	health := make(chan healthRead, 1)
	go func() {
		h, err := d.health(ctx)
		health <- healthRead{h, err}
	}()
	data := pageData{Search: strings.TrimSpace(v.Get("q"))}
	status := http.StatusOK
	q, err := d.parseQuery(v)
	data.Year, data.Level, data.Behind = q.year, q.level, q.behind
	if err == nil {
		err = d.fillProgress(r, q, &data)
	}
	if err != nil {
		status = httpStatus(err)
		data.Problem = problemText(err)
		if status == http.StatusInternalServerError {
			d.log.Error("serve page", "url", r.URL.String(), "err", err)
		}
	}
	data.Fixity = d.fixityView(ctx)
	hr := <-health
	if data.Health, err = hr.h, hr.err; err != nil {
		d.log.Error("serve page: health", "err", err)
		if data.Problem == "" {
			data.Problem = problemText(err)
		}
	}
	var buf bytes.Buffer
	if err := d.page.Execute(&buf, data); err != nil {
		d.log.Error("render page", "err", err)
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fillProgress puts the report's figures for q into data.
func (d *Dashboard) fillProgress(r *http.Request, q query, data *pageData) error {
	ctx := r.Context()
	sched, _, err := progress.LoadSchedule(ctx, d.src)
	if err != nil {
		return fmt.Errorf("load target schedule: %w", err)
	}
	for y := d.now().UTC().Year(); y >= min(sched.BaseYear, q.year); y-- {
		data.Years = append(data.Years, y)
	}
	rep, err := d.report(ctx, q)
	if err != nil {
		return err
	}
	data.AsOf, data.Scheme = rep.AsOf, rep.Scheme
	for _, u := range rep.Unassigned {
		data.Unassigned += u.Count
	}
	data.Levels = levelSummaries(rep.Rows)
	if data.Search != "" {
		if data.Matches, err = d.searchUnits(ctx, data.Search, q.year); err != nil {
			return err
		}
	}
	byCode := map[string]progress.Row{}
	for _, row := range rep.Rows {
		byCode[row.Unit] = row
	}
	if q.unit != "" {
		u, ok := byCode[q.unit]
		if !ok {
			return fmt.Errorf("không có đơn vị %s trong danh mục năm %d (no unit %s in force in %d): %w", q.unit, q.year, q.unit, q.year, catalog.ErrNotFound)
		}
		data.Unit = &u
		for p := u.Parent; p != ""; {
			pr, ok := byCode[p]
			if !ok {
				break
			}
			data.Trail = append([]progress.Row{pr}, data.Trail...)
			p = pr.Parent
		}
	}
	var rows []progress.Row
	switch {
	case q.level != "":
		rows = progress.Filter(rep.Rows, q.unit, q.level, q.behind)
	case q.unit != "":
		// The units one level down.
		for _, row := range progress.Filter(rep.Rows, q.unit, "", q.behind) {
			if row.Parent == q.unit {
				rows = append(rows, row)
			}
		}
	default:
		rows = progress.Filter(rep.Rows, "", catalog.LevelProvince, q.behind)
	}
	byGap(rows)
	data.ShowTable = q.level != "" || data.Unit == nil || data.Unit.Level != catalog.LevelCommune
	data.RowsTotal = len(rows)
	if len(rows) > maxRowsShown {
		rows = rows[:maxRowsShown]
	}
	data.Rows = rows
	return nil
}

// problemText is what the page says when it cannot show figures.
func problemText(err error) string {
	var br *badRequest
	switch {
	case errors.As(err, &br):
		return br.msg
	case errors.Is(err, progress.ErrNoUnits):
		return progress.ErrNoUnits.Error()
	case errors.Is(err, catalog.ErrNotFound):
		msg, _, _ := strings.Cut(err.Error(), ": "+catalog.ErrNotFound.Error())
		return msg
	}
	return "lỗi khi đọc danh mục (error reading the catalog): " + err.Error()
}

var levelLabels = map[catalog.Level]string{
	catalog.LevelProvince: "Tỉnh / Province",
	catalog.LevelDistrict: "Huyện / District",
	catalog.LevelCommune:  "Xã / Commune",
}

var statusLabels = map[string]string{
	progress.StatusMet:         "đạt / met",
	progress.StatusOnTrack:     "kịp tiến độ / on track",
	progress.StatusBehind:      "chậm / behind",
	progress.StatusNoInventory: "chưa có số liệu / no inventory",
}

var pageFuncs = template.FuncMap{
	"level":  func(l catalog.Level) string { return levelLabels[l] },
	"status": func(s string) string { return statusLabels[s] },
	// pct formats a percent as `sohoa progress` prints it.
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
	"num": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	// link is the page's address for year and unit, keeping level and
	// behind only when asked to.
	"link": func(year int, unit string, level catalog.Level, behind bool) string {
		v := url.Values{}
		v.Set("year", strconv.Itoa(year))
		if unit != "" {
			v.Set("unit", unit)
		}
		if level != "" {
			v.Set("level", string(level))
		}
		if behind {
			v.Set("behind", "1")
		}
		return "/?" + v.Encode()
	},
	"width": func(f float64) string { return fmt.Sprintf("%.1f%%", min(100, max(0, f))) },
}
