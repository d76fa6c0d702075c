package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"sohoa/pipeline/pages"
	"sohoa/storage/catalog"
)

// RunOptions shape a Run.
type RunOptions struct {
	// Follow keeps waiting for new jobs; without it Run returns once the
	// queue is empty and nothing is in flight.
	Follow bool
	// Poll is how often an idle Run looks for work; default 500 ms.
	Poll time.Duration
}

type pageTask struct {
	doc  *document
	page pages.Page
}

// Run drains the job queue: a claimer leases jobs, a preparer fetches each
// original and splits it into pages, OCR workers (one engine each)
// recognise pages, finishers extract, classify, archive and index. Bounded
// channels between them give backpressure, so memory stays bounded
// whatever the batch size. Run returns when the queue is drained (unless
// opts.Follow), when ctx is cancelled (in-flight jobs go back to the
// queue), or on an error that stops all work (no OCR engine).
func (p *Pipeline) Run(ctx context.Context, opts RunOptions) error {
	if opts.Poll <= 0 {
		opts.Poll = 500 * time.Millisecond
	}
	owner := ownerID()
	log := p.log.With("owner", owner)
	if err := p.requeueDead(ctx, owner); err != nil {
		return err
	}
	p.sweepTemp()

	engines := make([]interface{ Close() error }, 0, p.cfg.Workers)
	var startErr error
	for i := 0; i < p.cfg.Workers; i++ {
		e, err := p.cfg.OCR()
		if err != nil {
			startErr = fmt.Errorf("start ocr engine: %w", err)
			break
		}
		engines = append(engines, e)
	}
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	if startErr != nil {
		return startErr
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx = withAbort(ctx, cancel)

	w := p.cfg.Workers
	docs := make(chan *document)
	pageCh := make(chan pageTask, 2*w)
	finish := make(chan *document, w)
	slots := make(chan struct{}, w+1) // documents in flight
	wake := make(chan struct{}, 1)
	var inflight atomic.Int64
	var active sync.Map // job id -> *document, for lease renewal and shutdown

	release := func(d *document) {
		// A job cut short by cancellation stays in active, so it is put
		// back in the queue below rather than left leased to a dead run.
		if d.isSettled() || d.isLost() {
			active.Delete(d.job.ID)
		}
		inflight.Add(-1)
		<-slots
		select {
		case wake <- struct{}{}:
		default:
		}
	}

	var claimErr error
	var claimers sync.WaitGroup
	claimers.Add(1)
	go func() { // claimer
		defer claimers.Done()
		defer close(docs)
		claimErr = p.claimLoop(ctx, owner, opts, docs, slots, wake, &inflight, &active)
	}()

	var preparers sync.WaitGroup
	preparers.Add(1)
	go func() {
		defer preparers.Done()
		for d := range docs {
			if p.prepare(ctx, d, pageCh) {
				finish <- d
			}
		}
	}()

	var ocrs sync.WaitGroup
	for i := range engines {
		e := engines[i].(ocrEngine)
		ocrs.Add(1)
		go func() {
			defer ocrs.Done()
			for t := range pageCh {
				if p.recognize(ctx, e, t) {
					finish <- t.doc
				}
			}
		}()
	}

	var finishers sync.WaitGroup
	for i := 0; i < 2; i++ {
		finishers.Add(1)
		go func() {
			defer finishers.Done()
			for d := range finish {
				p.complete(ctx, owner, d)
				release(d)
			}
		}()
	}

	stopBeat := make(chan struct{})
	var beat sync.WaitGroup
	beat.Add(1)
	go func() {
		defer beat.Done()
		p.heartbeat(ctx, owner, &active, stopBeat, log)
	}()

	claimers.Wait()
	preparers.Wait()
	close(pageCh)
	ocrs.Wait()
	close(finish)
	finishers.Wait()
	close(stopBeat)
	beat.Wait()

	// Jobs interrupted by cancellation go back to the queue for the next run.
	active.Range(func(_, v any) bool {
		d := v.(*document)
		bg, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		if err := p.cfg.Queue.Retry(bg, d.job.ID, owner, time.Now(), "interrupted"); err != nil {
			log.Warn("return interrupted job", "job", d.job.ID, "err", err)
		}
		return true
	})
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if claimErr != nil && !errors.Is(claimErr, context.Canceled) {
		return claimErr
	}
	return ctx.Err()
}

// claimLoop leases jobs while there is room in flight, until the queue is
// drained (or forever with Follow).
func (p *Pipeline) claimLoop(ctx context.Context, owner string, opts RunOptions, docs chan<- *document,
	slots chan struct{}, wake <-chan struct{}, inflight *atomic.Int64, active *sync.Map) error {
	failed := 0 // claims failed in a row (the catalog refusing writes)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		// Claiming is not cut short by cancellation: a claim that
		// committed in the catalog but reported ctx's error would leave a
		// job leased to nobody. It is a short transaction; bound it.
		cctx, cdone := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		job, err := p.cfg.Queue.Claim(cctx, owner, p.cfg.Lease)
		if err == nil {
			failed = 0
			rec, err := p.cfg.Catalog.Record(cctx, job.RecordID)
			if err != nil {
				<-slots
				p.log.Error("load claimed record", "job", job.ID, "record", job.RecordID, "err", err)
				_ = p.cfg.Queue.Retry(cctx, job.ID, owner, time.Now().Add(p.backoff(job.Attempts)), err.Error())
				cdone()
				continue
			}
			cdone()
			d := &document{job: job, rec: rec}
			inflight.Add(1)
			active.Store(job.ID, d)
			select {
			case docs <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		cdone()
		<-slots
		wait := opts.Poll
		if !errors.Is(err, catalog.ErrNoJob) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A catalog that refuses writes (a full disk) is waited
			// for with backoff and reported once, not every poll; a
			// run that is not following gives up after a few tries,
			// so the operator hears of it.
			if failed++; failed == 1 {
				p.log.Warn("claim job", "err", err)
			}
			if !opts.Follow && failed >= claimTries {
				return fmt.Errorf("claim a job (%d tries): %w", failed, err)
			}
			wait = max(wait, p.backoff(failed))
		} else {
			failed = 0
			if !opts.Follow && inflight.Load() == 0 {
				n, perr := p.cfg.Queue.Pending(ctx)
				if perr == nil && n == 0 {
					return nil
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// claimTries is how many claims in a row may fail before a Run that is
// not following gives up.
const claimTries = 5

// heartbeat renews the leases of the jobs in flight.
func (p *Pipeline) heartbeat(ctx context.Context, owner string, active *sync.Map, stop <-chan struct{}, log interface {
	Warn(string, ...any)
}) {
	t := time.NewTicker(p.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			active.Range(func(_, v any) bool {
				d := v.(*document)
				err := p.cfg.Queue.Extend(ctx, d.job.ID, owner, p.cfg.Lease)
				if errors.Is(err, catalog.ErrLeaseLost) {
					log.Warn("lease lost; another worker has the job", "job", d.job.ID)
					d.markLost()
				}
				return true
			})
		}
	}
}

// requeueDead returns to the queue the jobs of workers on this host that
// died (killed, crashed) without finishing them, so a restart resumes at
// once instead of waiting for their leases to run out.
func (p *Pipeline) requeueDead(ctx context.Context, self string) error {
	running, err := p.cfg.Queue.Running(ctx)
	if err != nil {
		return fmt.Errorf("list running jobs: %w", err)
	}
	for _, j := range running {
		if ownerDead(j.Owner, self) {
			if err := p.cfg.Queue.Requeue(ctx, j.ID); err != nil {
				return fmt.Errorf("requeue job %d of dead worker %s: %w", j.ID, j.Owner, err)
			}
			p.log.Info("resumed job of a stopped worker", "job", j.ID, "record", j.RecordID, "owner", j.Owner)
		}
	}
	return nil
}

// backoff is the wait before retry n (1-based): exponential from
// Config.RetryBase (1 s) to Config.RetryMax (5 min), with full jitter so
// many workers do not retry in step.
func (p *Pipeline) backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := p.cfg.RetryBase << min(attempt-1, 20)
	if d > p.cfg.RetryMax || d <= 0 {
		d = p.cfg.RetryMax
	}
	return d/2 + rand.N(d/2+1)
}
