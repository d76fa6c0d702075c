package catalog

import (
	"context"
	"time"
)

// HourPages is the work the pipeline finished in one clock hour.
type HourPages struct {
	// Hour is the start of the hour, in UTC.
	Hour    time.Time `json:"hour"`
	Records int       `json:"records"`
	Pages   int       `json:"pages"`
}

// Throughput reports what the pipeline has finished: a record is finished
// when it is indexed (the "index" event), whatever its status.
type Throughput interface {
	// PagesPerHour returns the pages and records finished in each hour
	// from the hour holding since up to now, oldest first; hours with
	// nothing finished are left out.
	PagesPerHour(ctx context.Context, since time.Time) ([]HourPages, error)
	// PagesProcessed returns the pages of every record ever finished,
	// counted once per time it was finished.
	PagesProcessed(ctx context.Context) (int64, error)
}
