package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
)

// StoreState is a change in whether the object store can be reached,
// reported once per change through Hooks.Store.
type StoreState struct {
	// Down is true when the store stopped answering, false when it is
	// back.
	Down bool
	// Err is the failure that showed the store down; nil when it is back.
	Err error
	// Since is when the store went down (for Down false: how long the
	// outage lasted is the time from Since to now).
	Since time.Time
}

// patientStore is the object store as the stages see it: an operation
// that fails with storage.ErrUnavailable (server down, disk full) is
// tried again after a growing, jittered wait until it succeeds or ctx is
// cancelled. A store outage is nobody's input at fault, so the job waits
// in place, holding its lease, rather than going back to the queue where
// each failed try would count towards MaxAttempts and an outage longer
// than a few tries would fail every record in flight.
type patientStore struct {
	storage.Objects
	p *Pipeline

	mu    sync.Mutex
	down  bool
	since time.Time
	// lastOK is when the store last answered. A failure of an operation
	// started before then is stale news (its dial was refused, say, just
	// before the server came back), not a new outage.
	lastOK time.Time
}

var _ storage.Objects = (*patientStore)(nil)

// Put writes the object, rewinding r for each new try. A reader that
// cannot be rewound is tried once.
func (s *patientStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	seeker, ok := r.(io.Seeker)
	var start int64
	if ok {
		var err error
		start, err = seeker.Seek(0, io.SeekCurrent)
		ok = err == nil
	}
	if !ok {
		return s.Objects.Put(ctx, key, r, size, opts)
	}
	var info storage.ObjectInfo
	tries := 0
	err := s.wait(ctx, "put "+key, func() error {
		if tries++; tries > 1 {
			if _, err := seeker.Seek(start, io.SeekStart); err != nil {
				return fmt.Errorf("rewind %s for another try: %w", key, err)
			}
		}
		var err error
		info, err = s.Objects.Put(ctx, key, r, size, opts)
		return err
	})
	return info, err
}

// Get opens the object, waiting for the store to answer. A failure while
// reading is the caller's to handle (the job is retried).
func (s *patientStore) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	var (
		rc   io.ReadCloser
		info storage.ObjectInfo
	)
	err := s.wait(ctx, "get "+key, func() error {
		var err error
		rc, info, err = s.Objects.Get(ctx, key)
		return err
	})
	return rc, info, err
}

// Stat describes the object, waiting for the store to answer.
func (s *patientStore) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	var info storage.ObjectInfo
	err := s.wait(ctx, "stat "+key, func() error {
		var err error
		info, err = s.Objects.Stat(ctx, key)
		return err
	})
	return info, err
}

// Delete removes the object, waiting for the store to answer.
func (s *patientStore) Delete(ctx context.Context, key string) error {
	return s.wait(ctx, "delete "+key, func() error { return s.Objects.Delete(ctx, key) })
}

// wait runs op until it does not fail with ErrUnavailable. Any other
// answer, errors such as ErrNotFound included, shows the store reachable.
func (s *patientStore) wait(ctx context.Context, what string, op func() error) error {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := op()
		if ctx.Err() != nil {
			return err // cut short: says nothing of the store
		}
		if !errors.Is(err, storage.ErrUnavailable) {
			s.reachable()
			return err
		}
		s.unreachable(err, start)
		d := s.p.backoff(attempt)
		s.p.log.Info("object store unreachable; waiting to try again", "op", what, "attempt", attempt, "wait", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (s *patientStore) unreachable(err error, started time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down || !started.After(s.lastOK) {
		return
	}
	s.down, s.since = true, time.Now()
	s.p.log.Info("object store unreachable: work waits", "err", err)
	if s.p.cfg.Hooks.Store != nil {
		s.p.cfg.Hooks.Store(StoreState{Down: true, Err: err, Since: s.since})
	}
}

func (s *patientStore) reachable() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastOK = time.Now()
	if !s.down {
		return
	}
	s.down = false
	s.p.log.Info("object store reachable again: work resumes", "outage", time.Since(s.since).Round(time.Millisecond))
	if s.p.cfg.Hooks.Store != nil {
		s.p.cfg.Hooks.Store(StoreState{Since: s.since})
	}
}

// abortKey carries a Run's cancel function in its context, for the stage
// that finds the catalog refusing to record an outcome.
type abortKey struct{}

func withAbort(ctx context.Context, cancel context.CancelCauseFunc) context.Context {
	return context.WithValue(ctx, abortKey{}, cancel)
}

// catalogRefused stops the Run when the catalog cannot record a job's
// outcome (its disk is full, its file read-only): carrying on would
// lease job after job to nobody, and an operator must act. Run returns
// err; the jobs go back to the queue where possible, and a later run
// resumes them. A lost lease is not the catalog's fault and does not stop
// anything.
func catalogRefused(ctx context.Context, err error) {
	if err == nil || errors.Is(err, catalog.ErrLeaseLost) || errors.Is(err, catalog.ErrNotFound) {
		return
	}
	if cancel, ok := ctx.Value(abortKey{}).(context.CancelCauseFunc); ok {
		cancel(fmt.Errorf("the catalog cannot record what was done: %w", err))
	}
}
