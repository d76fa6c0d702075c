package progress

import (
	"context"
	"errors"
	"time"

	"sohoa/storage/catalog"
)

// ScheduleSetting is the catalog setting holding a loaded target schedule.
const ScheduleSetting = "targets"

// ErrNoUnits means the unit catalogues were never imported.
var ErrNoUnits = errors.New("chưa nạp danh mục đơn vị: chạy `sohoa units import` (no units loaded: run `sohoa units import`)")

// LoadSchedule returns the schedule loaded with `targets load`, else the
// national one; loaded says which.
func LoadSchedule(ctx context.Context, reg catalog.Registry) (s Schedule, loaded bool, err error) {
	v, err := reg.Setting(ctx, ScheduleSetting)
	if errors.Is(err, catalog.ErrNotFound) {
		return National(), false, nil
	}
	if err != nil {
		return Schedule{}, false, err
	}
	s, err = ParseSchedule([]byte(v))
	return s, true, err
}

// DefaultAsOf is the day a report of year counts up to: 31 December for
// a past year, today for the current one.
func DefaultAsOf(year int, now time.Time) time.Time {
	now = now.UTC()
	if year >= now.Year() {
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	return time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
}

// Build reads what a report needs from reg and computes the report of
// year as of day: the units in force that year and, for 2025, the
// district rows up to 30 June, when their series ended.
func Build(ctx context.Context, reg catalog.Registry, year int, day time.Time) (Report, error) {
	units, err := reg.Units(ctx, "")
	if err != nil {
		return Report{}, err
	}
	if len(units) == 0 {
		return Report{}, ErrNoUnits
	}
	merges, err := reg.Merges(ctx)
	if err != nil {
		return Report{}, err
	}
	sched, _, err := LoadSchedule(ctx, reg)
	if err != nil {
		return Report{}, err
	}
	invs, err := reg.Inventories(ctx, year)
	if err != nil {
		return Report{}, err
	}
	compute := func(scheme catalog.Scheme, day time.Time) (Report, error) {
		from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		until := day.AddDate(0, 0, 1)
		counts, err := reg.DigitizedCounts(ctx, from, until)
		if err != nil {
			return Report{}, err
		}
		// Records matched against registers: those of the itemized units
		// and of the old units merged into them.
		var codes []string
		itemized := map[string]bool{}
		for _, inv := range invs {
			if inv.Itemized() {
				itemized[inv.Unit] = true
				codes = append(codes, inv.Unit)
			}
		}
		for _, m := range merges {
			if scheme == catalog.Scheme2025 && itemized[m.New] {
				codes = append(codes, m.Old)
			}
		}
		refs, err := reg.DigitizedRefs(ctx, codes, until)
		if err != nil {
			return Report{}, err
		}
		return Compute(Input{Year: year, AsOf: day, Scheme: scheme, Units: units, Merges: merges,
			Inventories: invs, Counts: counts, Refs: refs, Schedule: sched}), nil
	}
	scheme := catalog.SchemeOn(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	rep, err := compute(scheme, day)
	if err != nil {
		return rep, err
	}
	if scheme == catalog.Scheme2025 && year == catalog.Reorganised.Year() {
		last := catalog.Reorganised.AddDate(0, 0, -1)
		if day.Before(last) {
			last = day
		}
		old, err := compute(catalog.Scheme2024, last)
		if err != nil {
			return rep, err
		}
		for _, r := range old.Rows {
			if r.Level == catalog.LevelDistrict {
				rep.Rows = append(rep.Rows, r)
			}
		}
	}
	return rep, nil
}

// Filter keeps the rows of unit and the units under it, of level, and
// behind target, as asked; zero values keep everything.
func Filter(rows []Row, unit string, level catalog.Level, behind bool) []Row {
	parent := map[string]string{}
	for _, r := range rows {
		parent[r.Unit] = r.Parent
	}
	under := func(code string) bool {
		for c := code; c != ""; c = parent[c] {
			if c == unit {
				return true
			}
		}
		return false
	}
	var out []Row
	for _, r := range rows {
		if unit != "" && !under(r.Unit) {
			continue
		}
		if level != "" && r.Level != level {
			continue
		}
		if behind && r.Status != StatusBehind {
			continue
		}
		out = append(out, r)
	}
	return out
}
