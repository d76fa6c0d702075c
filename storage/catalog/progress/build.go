package progress

import (
	"context"
	"errors"
	"sync"
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
//
// The digitized counts, a pass over every digitized record, are most of
// the time a report takes: they are read while the units, merges,
// schedule and inventories are (reg is safe for concurrent use).
func Build(ctx context.Context, reg catalog.Registry, year int, day time.Time) (Report, error) {
	// Build returns only once its counts have stopped: a caller may close
	// reg as soon as Build returns, even when it failed early.
	var running sync.WaitGroup
	defer running.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the counts when Build fails before it needs them
	scheme := catalog.SchemeOn(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	// split says the report of the reorganisation's year has the old
	// districts up to last, the day before the new catalogue.
	split := scheme == catalog.Scheme2025 && year == catalog.Reorganised.Year()
	last := catalog.Reorganised.AddDate(0, 0, -1)
	if day.Before(last) {
		last = day
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	counts := countDigitized(ctx, &running, reg, from, day)
	var oldCounts <-chan digitizedCounts
	if split {
		oldCounts = countDigitized(ctx, &running, reg, from, last)
	}

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
	compute := func(scheme catalog.Scheme, day time.Time, counts <-chan digitizedCounts) (Report, error) {
		until := day.AddDate(0, 0, 1)
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
		c := <-counts
		if c.err != nil {
			return Report{}, c.err
		}
		return Compute(Input{Year: year, AsOf: day, Scheme: scheme, Units: units, Merges: merges,
			Inventories: invs, Counts: c.counts, Refs: refs, Schedule: sched}), nil
	}
	rep, err := compute(scheme, day, counts)
	if err != nil {
		return rep, err
	}
	if split {
		old, err := compute(catalog.Scheme2024, last, oldCounts)
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

// digitizedCounts is what DigitizedCounts returned.
type digitizedCounts struct {
	counts []catalog.DigitizedCount
	err    error
}

// countDigitized starts counting the records digitized from from up to
// and including day, as one of running, and returns where the counts will
// be. The channel is buffered: nobody need receive from it.
func countDigitized(ctx context.Context, running *sync.WaitGroup, reg catalog.Registry, from, day time.Time) <-chan digitizedCounts {
	ch := make(chan digitizedCounts, 1)
	running.Go(func() {
		c, err := reg.DigitizedCounts(ctx, from, day.AddDate(0, 0, 1))
		ch <- digitizedCounts{c, err}
	})
	return ch
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
