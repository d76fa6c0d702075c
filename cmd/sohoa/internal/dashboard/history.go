package dashboard

import (
	"context"
	"fmt"

	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
)

// YearPoint is a unit's progress in one year. Percent is null when the
// code named no unit that year or nothing was known of its holdings.
type YearPoint struct {
	Year      int      `json:"year"`
	Name      string   `json:"name,omitempty"`
	Percent   *float64 `json:"percent"`
	Target    *float64 `json:"target"`
	Digitized int      `json:"digitized"`
	Total     int      `json:"total"`
	Status    string   `json:"status,omitempty"`
}

// History is a unit code's progress year by year.
type History struct {
	Unit  string        `json:"unit"`
	Name  string        `json:"name"`
	Level catalog.Level `json:"level"`
	Years []YearPoint   `json:"years"`
}

// history computes, with progress.Build (through d.build), the unit's
// row in every year from the schedule's base year to the current one
// (each past year as of 31 December). A code names one unit per
// catalogue: across the 2025 reorganisation the points are the unit the
// code named that year, with its name.
func (d *Dashboard) history(ctx context.Context, unit string) (History, error) {
	sched, _, err := progress.LoadSchedule(ctx, d.src)
	if err != nil {
		return History{}, fmt.Errorf("load target schedule: %w", err)
	}
	now := d.now().UTC()
	h := History{Unit: unit, Years: []YearPoint{}}
	for y := min(sched.BaseYear, now.Year()); y <= now.Year(); y++ {
		rep, err := d.build(ctx, y, progress.DefaultAsOf(y, now))
		if err != nil {
			return History{}, fmt.Errorf("build progress of %d: %w", y, err)
		}
		p := YearPoint{Year: y}
		for _, r := range rep.Rows {
			if r.Unit != unit {
				continue
			}
			p.Name, p.Digitized, p.Total, p.Status = r.Name, r.Digitized, r.Total, r.Status
			h.Name, h.Level = r.Name, r.Level
			if r.Status != progress.StatusNoInventory {
				pct := r.Percent
				p.Percent = &pct
			}
			break
		}
		h.Years = append(h.Years, p)
	}
	if h.Level == "" {
		return h, fmt.Errorf("find unit %s in any year: %w", unit, catalog.ErrNotFound)
	}
	// The target line runs through every year, even those the code named
	// no unit in.
	for i := range h.Years {
		if t, ok := sched.Target(h.Level, h.Years[i].Year); ok {
			h.Years[i].Target = &t
		}
	}
	return h, nil
}
