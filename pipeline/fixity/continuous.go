package fixity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sohoa/storage/catalog"
)

// maxWait bounds one wait of the continuous pass, so objects added
// meanwhile (never checked, hence due at once) are not left waiting for
// the whole interval computed before they came.
const maxWait = time.Minute

// Continuous re-reads every stored object once per period, the least
// recently verified first, spread evenly over the period (period ÷ number
// of objects between two checks, and never faster than the verifier's
// byte rate), and lists the store for orphans once per period. Start it
// once; Stop ends it.
type Continuous struct {
	v      *Verifier
	every  time.Duration
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	// state of the loop, touched by its goroutine only
	lastStart time.Time
	objects   int
	counted   time.Time
}

// Continuous returns a continuous pass of v that goes over the whole store
// once per every.
func (v *Verifier) Continuous(every time.Duration) (*Continuous, error) {
	if every <= 0 {
		return nil, fmt.Errorf("fixity: the period of a full pass must be positive, not %v", every)
	}
	return &Continuous{v: v, every: every}, nil
}

// Start runs the pass in the background until ctx ends or Stop is called.
// Starting it again while it runs does nothing.
func (c *Continuous) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		c.run(ctx)
	}()
}

// Stop ends the pass and waits for the check under way to end (a read is
// cut short; a result already known is still recorded). Stopping a pass
// stopped or never started does nothing.
func (c *Continuous) Stop() {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (c *Continuous) run(ctx context.Context) {
	log := c.v.log.With("every", c.every)
	log.Info("continuous verification started")
	for ctx.Err() == nil {
		wait, err := c.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("continuous verification: will try again", "err", err)
			wait = maxWait
		}
		if wait = min(wait, maxWait, c.every); wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	log.Info("continuous verification stopped")
}

// step does the next thing due, the listing for orphans or the check of
// one object, or returns how long to wait until something is due.
func (c *Continuous) step(ctx context.Context) (time.Duration, error) {
	now := c.v.now()
	last, err := c.v.cat.LastScan(ctx, "")
	if err != nil {
		return 0, err
	}
	if now.Sub(last) >= c.every {
		return 0, c.listOrphans(ctx)
	}
	if c.counted.IsZero() || now.Sub(c.counted) >= maxWait {
		s, err := c.v.cat.FixitySummary(ctx, 0)
		if err != nil {
			return 0, err
		}
		c.objects, c.counted = 0, now
		for r, n := range s.Objects {
			if r != catalog.FixityOrphaned {
				c.objects += n
			}
		}
	}
	interval := c.every / time.Duration(max(1, c.objects))
	if next := c.lastStart.Add(interval); !c.lastStart.IsZero() && now.Before(next) {
		return next.Sub(now), nil
	}
	due, err := c.v.cat.DueObjects(ctx, 1)
	if err != nil {
		return 0, err
	}
	if len(due) == 0 {
		return maxWait, nil
	}
	o := due[0]
	if at := o.Last.At.Add(c.every); !o.Last.At.IsZero() && now.Before(at) {
		return at.Sub(now), nil // everything was verified within the period
	}
	c.lastStart = now
	check, err := c.v.Check(ctx, o)
	if err != nil {
		return 0, err
	}
	if check.Result.Problem() {
		c.v.log.Warn("stored object failed its fixity check", "key", check.Key, "result", check.Result,
			"records", check.Records, "detail", check.Detail)
	}
	return 0, nil
}

// listOrphans lists the store for orphans and records the listing.
func (c *Continuous) listOrphans(ctx context.Context) error {
	started := c.v.now()
	orphans, err := c.v.Orphans(ctx, func(o catalog.FixityCheck) {
		c.v.log.Warn("object no record points at", "key", o.Key, "size", o.Size)
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = c.v.cat.SaveScan(ctx, catalog.FixityScan{Scope: catalog.ScanOrphans, Started: started, Finished: c.v.now(),
		Orphaned: len(orphans), Orphans: orphans})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
