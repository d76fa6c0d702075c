package dashboard

import (
	"context"
	"sync"
	"time"

	"sohoa/storage/catalog/progress"
)

// reportsKept bounds the reports kept: the few years and days IT staff
// look at, a few megabytes each over a million records.
const reportsKept = 8

// reportKey is what a report is built for: a year, as of a day.
type reportKey struct {
	year int
	asOf string // 2006-01-02
}

// keptReport is a report built at a catalog data version. ready is
// closed once rep and err are set; until then, requests for the same
// report wait for it instead of building it again.
type keptReport struct {
	version int64
	used    uint64
	ready   chan struct{}
	rep     progress.Report
	err     error
}

// reports keeps the latest reports built. A report is a function of its
// year, its day and what the catalog holds, so one built after the
// catalog's data version was read is current for as long as the version
// stays the same: the page, the API, /metrics and the history all reuse
// it until something is committed (by this process or another).
type reports struct {
	mu   sync.Mutex
	kept map[reportKey]*keptReport
	tick uint64
}

// claim returns the report kept for key at version, and false; or, when
// there is none, a new one for the caller to build, and true.
func (c *reports) claim(key reportKey, version int64) (*keptReport, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if k, ok := c.kept[key]; ok && k.version == version {
		k.used = c.tick
		return k, false
	}
	if c.kept == nil {
		c.kept = map[reportKey]*keptReport{}
	}
	k := &keptReport{version: version, used: c.tick, ready: make(chan struct{})}
	c.kept[key] = k
	if len(c.kept) > reportsKept {
		var oldest reportKey
		for kk, kr := range c.kept {
			if o := c.kept[oldest]; o == nil || kr.used < o.used {
				oldest = kk
			}
		}
		delete(c.kept, oldest)
	}
	return k, true
}

// drop forgets k, kept for key, if it still is: a failed build is not
// kept.
func (c *reports) drop(key reportKey, k *keptReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kept[key] == k {
		delete(c.kept, key)
	}
}

// build returns the progress report of year as of day, built with
// progress.Build or, when nothing was committed to the catalog since it
// was, kept from before. The report is shared: callers must not change
// it (progress.Filter makes new slices).
func (d *Dashboard) build(ctx context.Context, year int, day time.Time) (progress.Report, error) {
	version, err := d.src.DataVersion(ctx)
	if err != nil {
		return progress.Report{}, err
	}
	key := reportKey{year: year, asOf: day.Format(time.DateOnly)}
	k, mine := d.reports.claim(key, version)
	if mine {
		k.rep, k.err = progress.Build(ctx, d.src, year, day)
		if k.err != nil {
			d.reports.drop(key, k)
		}
		close(k.ready)
		return k.rep, k.err
	}
	select {
	case <-k.ready:
	case <-ctx.Done():
		return progress.Report{}, ctx.Err()
	}
	if k.err == nil {
		return k.rep, nil
	}
	// The build waited for failed, perhaps because its request went away:
	// this request builds its own.
	return progress.Build(ctx, d.src, year, day)
}
