package dashboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
)

// query is what a request asks of the progress report, the same choices
// as the flags of `sohoa progress`.
type query struct {
	year   int
	asOf   time.Time
	level  catalog.Level
	unit   string
	behind bool
}

// badRequest is a mistake in a request's parameters, in words for the
// person who typed the address.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// parseQuery reads year, as_of, level, unit and behind from v; year
// defaults to the current one and as_of to progress.DefaultAsOf.
func (d *Dashboard) parseQuery(v url.Values) (query, error) {
	now := d.now().UTC()
	q := query{year: now.Year(), unit: v.Get("unit")}
	if s := v.Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1900 {
			return q, badRequestf("năm %q không hợp lệ (year %q is not a year)", s, s)
		}
		if y > now.Year() {
			return q, badRequestf("năm %d chưa đến (year %d has not begun)", y, y)
		}
		q.year = y
	}
	q.asOf = progress.DefaultAsOf(q.year, now)
	if s := v.Get("as_of"); s != "" {
		day, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return q, badRequestf("as_of %q: viết ngày dạng 2025-06-30 (write the day as 2025-06-30)", s)
		}
		if day.Year() != q.year {
			return q, badRequestf("as_of %s không thuộc năm %d (is not in year %d)", s, q.year, q.year)
		}
		q.asOf = day
	}
	if s := v.Get("level"); s != "" {
		l, ok := catalog.ParseLevel(s)
		if !ok {
			return q, badRequestf("level %q: dùng / use province, district, commune", s)
		}
		q.level = l
	}
	switch s := v.Get("behind"); s {
	case "", "0", "false":
	case "1", "true", "on":
		q.behind = true
	default:
		return q, badRequestf("behind %q: dùng / use true or false", s)
	}
	return q, nil
}

// report builds the progress report q asks for, with every row.
func (d *Dashboard) report(ctx context.Context, q query) (progress.Report, error) {
	rep, err := d.build(ctx, q.year, q.asOf)
	if err != nil {
		return rep, fmt.Errorf("build progress of %d: %w", q.year, err)
	}
	return rep, nil
}

// filtered is rep with only the rows q asks for, as `sohoa progress
// --json` prints it: empty lists, never null.
func filtered(rep progress.Report, q query) progress.Report {
	rep.Rows = progress.Filter(rep.Rows, q.unit, q.level, q.behind)
	if rep.Rows == nil {
		rep.Rows = []progress.Row{}
	}
	if rep.Unassigned == nil {
		rep.Unassigned = []progress.Unassigned{}
	}
	return rep
}

// byGap sorts rows the furthest behind first; rows with no inventory
// (nothing to measure) go last, then by code.
func byGap(rows []progress.Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Gap != b.Gap {
			return a.Gap > b.Gap
		}
		if an, bn := a.Status == progress.StatusNoInventory, b.Status == progress.StatusNoInventory; an != bn {
			return bn
		}
		if a.Percent != b.Percent {
			return a.Percent < b.Percent
		}
		return a.Unit < b.Unit
	})
}

// LevelSummary is one level's overall progress: its units' counts added
// up (over the units whose holdings are known), never their percentages
// averaged.
type LevelSummary struct {
	Level       catalog.Level `json:"level"`
	Units       int           `json:"units"`
	Digitized   int           `json:"digitized"`
	Total       int           `json:"total"`
	Percent     float64       `json:"percent"`
	Target      float64       `json:"target"`
	Gap         float64       `json:"gap"`
	Met         int           `json:"met"`
	OnTrack     int           `json:"on_track"`
	Behind      int           `json:"behind"`
	NoInventory int           `json:"no_inventory"`
}

// levelSummaries sums rows by level, top down; levels with no rows are
// left out.
func levelSummaries(rows []progress.Row) []LevelSummary {
	var out []LevelSummary
	for _, l := range []catalog.Level{catalog.LevelProvince, catalog.LevelDistrict, catalog.LevelCommune} {
		s := LevelSummary{Level: l}
		for _, r := range rows {
			if r.Level != l {
				continue
			}
			s.Units++
			s.Target = r.Target
			switch r.Status {
			case progress.StatusNoInventory:
				s.NoInventory++
				continue // no denominator: its records are compared with nothing
			case progress.StatusMet:
				s.Met++
			case progress.StatusOnTrack:
				s.OnTrack++
			case progress.StatusBehind:
				s.Behind++
			}
			s.Digitized += r.Digitized
			s.Total += r.Total
		}
		if s.Units == 0 {
			continue
		}
		if s.Total > 0 {
			s.Percent = round2(100 * float64(s.Digitized) / float64(s.Total))
			s.Gap = round2(math.Max(0, s.Target-s.Percent))
		}
		out = append(out, s)
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// httpStatus is the status code err deserves.
func httpStatus(err error) int {
	var br *badRequest
	switch {
	case errors.As(err, &br):
		return http.StatusBadRequest
	case errors.Is(err, progress.ErrNoUnits):
		return http.StatusServiceUnavailable
	case errors.Is(err, catalog.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}
