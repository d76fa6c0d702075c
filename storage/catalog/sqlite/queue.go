package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sohoa/storage/catalog"
)

const jobColumns = `id, record_id, state, attempts, owner, lease_until, run_after, last_error`

// Claim leases the oldest ready job to owner until now+lease and counts
// the attempt. A job is ready when it is queued and its RunAfter has come,
// or running under a lease that has expired (its worker died). One UPDATE
// picks and takes the job, so two workers never hold the same one.
// ErrNoJob when nothing is ready.
func (db *DB) Claim(ctx context.Context, owner string, lease time.Duration) (catalog.Job, error) {
	if owner == "" {
		return catalog.Job{}, errors.New("claim job: empty owner")
	}
	if lease <= 0 {
		return catalog.Job{}, fmt.Errorf("claim job for %s: lease %v is not positive", owner, lease)
	}
	now := db.now()
	j, err := scanJob(db.write.QueryRowContext(ctx, `UPDATE jobs
		SET state = 'running', owner = ?1, lease_until = ?2, attempts = attempts + 1
		WHERE id = (
			SELECT id FROM jobs
			WHERE state IN ('queued', 'running')
			  AND ((state = 'queued' AND run_after <= ?3) OR (state = 'running' AND lease_until <= ?3))
			ORDER BY id LIMIT 1)
		RETURNING `+jobColumns,
		owner, formatTime(now.Add(lease)), formatTime(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Job{}, catalog.ErrNoJob
	}
	if err != nil {
		return catalog.Job{}, fmt.Errorf("claim job for %s: %w", owner, err)
	}
	return j, nil
}

// Extend renews the lease to now+lease; ErrLeaseLost if owner no longer
// holds the job, ErrNotFound if there is no such job.
func (db *DB) Extend(ctx context.Context, jobID int64, owner string, lease time.Duration) error {
	return db.held(ctx, "extend", jobID, owner,
		`UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'`,
		formatTime(db.now().Add(lease)), jobID, owner)
}

// Finish marks the job done; ErrLeaseLost if owner no longer holds it,
// ErrNotFound if there is no such job.
func (db *DB) Finish(ctx context.Context, jobID int64, owner string) error {
	return db.held(ctx, "finish", jobID, owner,
		`UPDATE jobs SET state = 'done', lease_until = NULL, last_error = ''
		WHERE id = ? AND owner = ? AND state = 'running'`,
		jobID, owner)
}

// Retry puts the job back in the queue to run after the given time,
// recording why; ErrLeaseLost if owner no longer holds it, ErrNotFound if
// there is no such job.
func (db *DB) Retry(ctx context.Context, jobID int64, owner string, after time.Time, reason string) error {
	return db.held(ctx, "retry", jobID, owner,
		`UPDATE jobs SET state = 'queued', owner = '', lease_until = NULL, run_after = ?, last_error = ?
		WHERE id = ? AND owner = ? AND state = 'running'`,
		formatTime(after), reason, jobID, owner)
}

// Fail marks the job failed for good, recording why; ErrLeaseLost if owner
// no longer holds it, ErrNotFound if there is no such job.
func (db *DB) Fail(ctx context.Context, jobID int64, owner string, reason string) error {
	return db.held(ctx, "fail", jobID, owner,
		`UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = ?
		WHERE id = ? AND owner = ? AND state = 'running'`,
		reason, jobID, owner)
}

// held runs an UPDATE that applies only while owner holds the job (it is
// running under owner's name; a lease that expired but that nobody took
// over still counts) and tells a lost lease from a missing job.
func (db *DB) held(ctx context.Context, verb string, jobID int64, owner, query string, args ...any) error {
	res, err := db.write.ExecContext(ctx, query, args...)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = db.lostOrMissing(ctx, jobID)
		}
	}
	if err != nil {
		return fmt.Errorf("%s job %d for %s: %w", verb, jobID, owner, err)
	}
	return nil
}

func (db *DB) lostOrMissing(ctx context.Context, jobID int64) error {
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE id = ?`, jobID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return catalog.ErrNotFound
	case err != nil:
		return err
	}
	return catalog.ErrLeaseLost
}

// Running lists the jobs currently leased, expired leases included,
// oldest lease first.
func (db *DB) Running(ctx context.Context) ([]catalog.Job, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE state = 'running' ORDER BY lease_until, id`)
	if err != nil {
		return nil, fmt.Errorf("list running jobs: %w", err)
	}
	defer rows.Close()
	var out []catalog.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list running jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list running jobs: %w", err)
	}
	return out, nil
}

// Requeue returns a running job to the queue at once, whoever holds it.
// A job that is not running (finished meanwhile, or already requeued) is
// left as it is; ErrNotFound if there is no such job.
func (db *DB) Requeue(ctx context.Context, jobID int64) error {
	res, err := db.write.ExecContext(ctx, `UPDATE jobs
		SET state = 'queued', owner = '', lease_until = NULL, run_after = ?
		WHERE id = ? AND state = 'running'`, formatTime(db.now()), jobID)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			if err = db.lostOrMissing(ctx, jobID); errors.Is(err, catalog.ErrLeaseLost) {
				err = nil
			}
		}
	}
	if err != nil {
		return fmt.Errorf("requeue job %d: %w", jobID, err)
	}
	return nil
}

// Pending counts the jobs queued or running.
func (db *DB) Pending(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM jobs
		WHERE state IN ('queued', 'running')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending jobs: %w", err)
	}
	return n, nil
}

// Job returns the job with the id; ErrNotFound if none.
func (db *DB) Job(ctx context.Context, id int64) (catalog.Job, error) {
	j, err := scanJob(db.read.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return catalog.Job{}, fmt.Errorf("read job %d: %w", id, notFound(err))
	}
	return j, nil
}

func scanJob(row interface{ Scan(...any) error }) (catalog.Job, error) {
	var (
		j        catalog.Job
		state    string
		lease    sql.NullString
		runAfter string
		err      error
	)
	if err = row.Scan(&j.ID, &j.RecordID, &state, &j.Attempts, &j.Owner, &lease, &runAfter, &j.LastError); err != nil {
		return catalog.Job{}, err
	}
	j.State = catalog.JobState(state)
	if j.LeaseUntil, err = parseTime(lease.String); err != nil {
		return catalog.Job{}, err
	}
	if j.RunAfter, err = parseTime(runAfter); err != nil {
		return catalog.Job{}, err
	}
	return j, nil
}
