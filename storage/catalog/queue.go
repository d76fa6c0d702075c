package catalog

import (
	"context"
	"time"
)

// JobState is where a job stands in the queue.
type JobState string

// Job states.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)

// Job is the durable unit of pipeline work: one record to carry through
// every remaining stage.
type Job struct {
	ID       int64
	RecordID int64
	State    JobState
	Attempts int
	// Owner identifies the worker holding the lease ("host:pid:n").
	Owner      string
	LeaseUntil time.Time
	// RunAfter delays a retried job (backoff).
	RunAfter  time.Time
	LastError string
}

// Queue is the durable job queue. A job is claimed with a lease; a worker
// that dies loses its lease when it expires (or sooner, when Requeue is
// called for it) and another worker claims the job again. Stages are
// idempotent, so running a job twice is safe.
type Queue interface {
	// Claim leases the oldest ready job to owner until now+lease. It
	// returns ErrNoJob when nothing is ready.
	Claim(ctx context.Context, owner string, lease time.Duration) (Job, error)
	// Extend renews the lease; ErrLeaseLost if owner no longer holds it.
	Extend(ctx context.Context, jobID int64, owner string, lease time.Duration) error
	// Finish marks the job done; ErrLeaseLost if owner no longer holds it.
	Finish(ctx context.Context, jobID int64, owner string) error
	// Retry puts the job back in the queue to run after the given time,
	// recording why.
	Retry(ctx context.Context, jobID int64, owner string, after time.Time, reason string) error
	// Fail marks the job failed for good.
	Fail(ctx context.Context, jobID int64, owner string, reason string) error
	// Running lists jobs currently leased, for finding those whose owner died.
	Running(ctx context.Context) ([]Job, error)
	// Requeue returns a running job to the queue at once (its owner is
	// known to be dead).
	Requeue(ctx context.Context, jobID int64) error
	// Pending counts jobs queued or running.
	Pending(ctx context.Context) (int, error)
}
