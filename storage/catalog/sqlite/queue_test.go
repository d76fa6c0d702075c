package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

// enqueue adds n records with jobs and returns their record ids in order.
func enqueue(t testing.TB, db *DB, n int) []int64 {
	t.Helper()
	b := mustBatch(t, db, fmt.Sprint("q", n))
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = mustRecord(t, db, catalog.Record{BatchID: b.ID, Source: fmt.Sprintf("%04d.pdf", i)}, true).ID
	}
	return ids
}

func mustClaim(t testing.TB, db *DB, owner string, lease time.Duration) catalog.Job {
	t.Helper()
	j, err := db.Claim(context.Background(), owner, lease)
	if err != nil {
		t.Fatalf("Claim(%s): %v", owner, err)
	}
	return j
}

func TestClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now

	if _, err := db.Claim(ctx, "w1", time.Minute); !errors.Is(err, catalog.ErrNoJob) {
		t.Fatalf("Claim on an empty queue = %v, want ErrNoJob", err)
	}
	recs := enqueue(t, db, 3)

	tests := []struct {
		name       string
		owner      string
		wantRecord int64
		wantErr    error
	}{
		{"oldest first", "w1", recs[0], nil},
		{"next", "w2", recs[1], nil},
		{"last", "w1", recs[2], nil},
		{"none left", "w3", 0, catalog.ErrNoJob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := db.Claim(ctx, tt.owner, time.Minute)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Claim = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			want := catalog.Job{ID: j.ID, RecordID: tt.wantRecord, State: catalog.JobRunning, Attempts: 1,
				Owner: tt.owner, LeaseUntil: clk.Now().Add(time.Minute), RunAfter: clk.Now()}
			if j != want {
				t.Errorf("Claim =\n%+v\nwant\n%+v", j, want)
			}
		})
	}
	for _, bad := range []struct {
		owner string
		lease time.Duration
	}{{"", time.Minute}, {"w", 0}, {"w", -time.Second}} {
		if _, err := db.Claim(ctx, bad.owner, bad.lease); err == nil || errors.Is(err, catalog.ErrNoJob) {
			t.Errorf("Claim(%q, %v) = %v, want a usage error", bad.owner, bad.lease, err)
		}
	}
}

func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	enqueue(t, db, 1)

	a := mustClaim(t, db, "dead", time.Minute)
	if _, err := db.Claim(ctx, "b", time.Minute); !errors.Is(err, catalog.ErrNoJob) {
		t.Fatalf("Claim under a live lease = %v, want ErrNoJob", err)
	}
	// Extending pushes expiry out.
	clk.Advance(50 * time.Second)
	if err := db.Extend(ctx, a.ID, "dead", time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(50 * time.Second)
	if _, err := db.Claim(ctx, "b", time.Minute); !errors.Is(err, catalog.ErrNoJob) {
		t.Fatalf("Claim under an extended lease = %v, want ErrNoJob", err)
	}
	// The owner stops extending; at expiry another worker takes the job.
	clk.Advance(10 * time.Second)
	b := mustClaim(t, db, "b", time.Minute)
	if b.ID != a.ID || b.Attempts != 2 || b.Owner != "b" {
		t.Fatalf("reclaimed job = %+v, want job %d, attempt 2, owner b", b, a.ID)
	}

	// The first owner wakes up: every call tells it the lease is lost.
	for name, call := range map[string]func() error{
		"Extend": func() error { return db.Extend(ctx, a.ID, "dead", time.Minute) },
		"Finish": func() error { return db.Finish(ctx, a.ID, "dead") },
		"Retry":  func() error { return db.Retry(ctx, a.ID, "dead", clk.Now(), "x") },
		"Fail":   func() error { return db.Fail(ctx, a.ID, "dead", "x") },
	} {
		if err := call(); !errors.Is(err, catalog.ErrLeaseLost) {
			t.Errorf("%s by the old owner = %v, want ErrLeaseLost", name, err)
		}
	}
	if err := db.Finish(ctx, b.ID, "b"); err != nil {
		t.Fatalf("Finish by the new owner: %v", err)
	}
	if err := db.Finish(ctx, b.ID, "b"); !errors.Is(err, catalog.ErrLeaseLost) {
		t.Errorf("Finish twice = %v, want ErrLeaseLost", err)
	}
	j, err := db.Job(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != catalog.JobDone || !j.LeaseUntil.IsZero() {
		t.Errorf("finished job = %+v", j)
	}
}

func TestJobTransitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()

	tests := []struct {
		name string
		// act runs on a job claimed by "w" and returns the error of the call.
		act        func(db *DB, j catalog.Job) error
		wantErr    error
		wantState  catalog.JobState
		wantErrMsg string
		pending    int
		// claimable says whether Claim at the same instant gets the job back.
		claimable bool
	}{
		{"finish", func(db *DB, j catalog.Job) error { return db.Finish(ctx, j.ID, "w") },
			nil, catalog.JobDone, "", 0, false},
		{"fail", func(db *DB, j catalog.Job) error { return db.Fail(ctx, j.ID, "w", "tệp hỏng") },
			nil, catalog.JobFailed, "tệp hỏng", 0, false},
		{"retry later", func(db *DB, j catalog.Job) error {
			return db.Retry(ctx, j.ID, "w", clk.Now().Add(time.Hour), "máy chủ bận")
		}, nil, catalog.JobQueued, "máy chủ bận", 1, false},
		{"retry now", func(db *DB, j catalog.Job) error { return db.Retry(ctx, j.ID, "w", clk.Now(), "lại") },
			nil, catalog.JobQueued, "lại", 1, true},
		{"extend", func(db *DB, j catalog.Job) error { return db.Extend(ctx, j.ID, "w", time.Hour) },
			nil, catalog.JobRunning, "", 1, false},
		{"requeue", func(db *DB, j catalog.Job) error { return db.Requeue(ctx, j.ID) },
			nil, catalog.JobQueued, "", 1, true},
		{"finish by another owner", func(db *DB, j catalog.Job) error { return db.Finish(ctx, j.ID, "other") },
			catalog.ErrLeaseLost, catalog.JobRunning, "", 1, false},
		{"finish missing job", func(db *DB, j catalog.Job) error { return db.Finish(ctx, j.ID+1, "w") },
			catalog.ErrNotFound, catalog.JobRunning, "", 1, false},
		{"requeue missing job", func(db *DB, j catalog.Job) error { return db.Requeue(ctx, j.ID+1) },
			catalog.ErrNotFound, catalog.JobRunning, "", 1, false},
		{"requeue finished job is a no-op", func(db *DB, j catalog.Job) error {
			if err := db.Finish(ctx, j.ID, "w"); err != nil {
				return err
			}
			return db.Requeue(ctx, j.ID)
		}, nil, catalog.JobDone, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t)
			db.now = clk.Now
			enqueue(t, db, 1)
			j := mustClaim(t, db, "w", time.Minute)
			if err := tt.act(db, j); !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			got, err := db.Job(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.wantState || got.LastError != tt.wantErrMsg {
				t.Errorf("job = %+v, want state %s, last error %q", got, tt.wantState, tt.wantErrMsg)
			}
			if n, err := db.Pending(ctx); err != nil || n != tt.pending {
				t.Errorf("Pending = %d, %v; want %d", n, err, tt.pending)
			}
			again, err := db.Claim(ctx, "w2", time.Minute)
			if tt.claimable != (err == nil) {
				t.Errorf("Claim after %s = %+v, %v; want claimable %v", tt.name, again, err, tt.claimable)
			}
			if err == nil && again.Attempts != 2 {
				t.Errorf("attempts after a second claim = %d, want 2", again.Attempts)
			}
		})
	}
}

func TestRetryWaitsForRunAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	recs := enqueue(t, db, 2)

	j := mustClaim(t, db, "w", time.Minute)
	if err := db.Retry(ctx, j.ID, "w", clk.Now().Add(30*time.Second), "OCR hết thời gian"); err != nil {
		t.Fatal(err)
	}
	// The second job is ready; the retried one is not yet.
	if k := mustClaim(t, db, "w", time.Minute); k.RecordID != recs[1] {
		t.Fatalf("claimed record %d, want %d while the first backs off", k.RecordID, recs[1])
	}
	if _, err := db.Claim(ctx, "w", time.Minute); !errors.Is(err, catalog.ErrNoJob) {
		t.Fatalf("Claim during backoff = %v, want ErrNoJob", err)
	}
	clk.Advance(30 * time.Second)
	k := mustClaim(t, db, "w", time.Minute)
	if k.ID != j.ID || k.Attempts != 2 || k.LastError != "OCR hết thời gian" {
		t.Errorf("after backoff claimed %+v", k)
	}
}

func TestRunningAndRequeue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTest(t)
	clk := newClock()
	db.now = clk.Now
	enqueue(t, db, 3)

	a := mustClaim(t, db, "host:1:0", 2*time.Minute)
	b := mustClaim(t, db, "host:2:0", time.Minute)
	run, err := db.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(run) != 2 || run[0].ID != b.ID || run[1].ID != a.ID {
		t.Fatalf("Running = %+v, want jobs %d then %d (soonest lease first)", run, b.ID, a.ID)
	}
	if n, _ := db.Pending(ctx); n != 3 {
		t.Errorf("Pending = %d, want 3", n)
	}
	// host:2 is known dead: its job goes back at once, before its lease ends.
	if err := db.Requeue(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Finish(ctx, b.ID, "host:2:0"); !errors.Is(err, catalog.ErrLeaseLost) {
		t.Errorf("Finish after Requeue = %v, want ErrLeaseLost", err)
	}
	if c := mustClaim(t, db, "host:3:0", time.Minute); c.ID != b.ID {
		t.Errorf("Claim after Requeue got job %d, want %d (the oldest ready)", c.ID, b.ID)
	}
}

// TestConcurrentClaims runs many claimers over two handles on one file (as
// two processes would) and checks that every job is claimed exactly once.
func TestConcurrentClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := testPath(t)
	db1 := openAt(t, path)
	db2 := openAt(t, path)
	const jobs, workers = 400, 8
	enqueue(t, db1, jobs)

	var (
		mu      sync.Mutex
		claimed = map[int64]string{}
		twice   []string
		wg      sync.WaitGroup
		errs    = make(chan error, workers)
	)
	for w := range workers {
		db := db1
		if w%2 == 1 {
			db = db2
		}
		owner := fmt.Sprintf("host:%d:%d", w%2, w)
		wg.Go(func() {
			for {
				j, err := db.Claim(ctx, owner, time.Minute)
				if errors.Is(err, catalog.ErrNoJob) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if prev, ok := claimed[j.ID]; ok {
					twice = append(twice, fmt.Sprintf("job %d by %s and %s", j.ID, prev, owner))
				}
				claimed[j.ID] = owner
				mu.Unlock()
				if err := db.Finish(ctx, j.ID, owner); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("worker: %v", err)
	}
	if len(twice) > 0 {
		t.Errorf("claimed twice: %v", twice)
	}
	if len(claimed) != jobs {
		t.Errorf("claimed %d jobs, want %d", len(claimed), jobs)
	}
	if n, err := db1.Pending(ctx); err != nil || n != 0 {
		t.Errorf("Pending = %d, %v; want 0", n, err)
	}
}
