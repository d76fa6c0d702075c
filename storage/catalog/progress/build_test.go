package progress

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// slowRegistry has no units and counts until it is cancelled, like a
// catalog busy with a million records when the units were never loaded.
type slowRegistry struct {
	catalog.Registry
	counting, done atomic.Int32
	started        chan struct{}
	once           sync.Once
}

// Units answers only once a count is under way, so Build fails while one
// runs.
func (r *slowRegistry) Units(context.Context, catalog.Scheme) ([]catalog.Unit, error) {
	<-r.started
	return nil, nil
}

func (r *slowRegistry) DigitizedCounts(ctx context.Context, _, _ time.Time) ([]catalog.DigitizedCount, error) {
	r.counting.Add(1)
	r.once.Do(func() { close(r.started) })
	<-ctx.Done()
	r.done.Add(1)
	return nil, ctx.Err()
}

// TestBuildWaitsForItsCounts: a caller may close the catalog as soon as
// Build returns, so no count may still be running then, even when Build
// failed before it needed them (a closed SQLite catalog panics on use).
func TestBuildWaitsForItsCounts(t *testing.T) {
	for _, year := range []int{2024, 2025} { // 2025 counts twice: the old districts too
		reg := &slowRegistry{started: make(chan struct{})}
		_, err := Build(context.Background(), reg, year, time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
		if !errors.Is(err, ErrNoUnits) {
			t.Fatalf("Build(%d) = %v, want ErrNoUnits", year, err)
		}
		if started, finished := reg.counting.Load(), reg.done.Load(); started != finished {
			t.Errorf("Build(%d) returned with %d of %d counts still running", year, started-finished, started)
		}
	}
}
