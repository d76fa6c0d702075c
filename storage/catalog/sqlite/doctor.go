package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"sohoa/storage/catalog"
)

// IntegrityCheck runs SQLite's integrity check (which covers the search
// index too) and a foreign key check over the whole file. It returns nil
// when both find nothing wrong, otherwise an error listing what they found.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	// A connection of its own: FTS5 checks its index against a copy of
	// the index structure cached by the connection, and, unlike a query,
	// the check does not refresh that copy first. On a pooled connection
	// that searched before another connection wrote, it reports sound
	// files as corrupt.
	conn, err := sql.Open("sqlite3", db.readDSN)
	if err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)

	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return fmt.Errorf("check catalog integrity: %w", err)
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}

	fk, err := conn.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("check catalog foreign keys: %w", err)
	}
	for fk.Next() {
		var (
			table, parent string
			rowid         *int64
			index         int
		)
		if err := fk.Scan(&table, &rowid, &parent, &index); err != nil {
			fk.Close()
			return fmt.Errorf("check catalog foreign keys: %w", err)
		}
		id := "?"
		if rowid != nil {
			id = fmt.Sprint(*rowid)
		}
		problems = append(problems, fmt.Sprintf("row %s of %s points to a missing row of %s", id, table, parent))
	}
	fk.Close()
	if err := fk.Err(); err != nil {
		return fmt.Errorf("check catalog foreign keys: %w", err)
	}

	if len(problems) > 0 {
		return fmt.Errorf("catalog %s is damaged: restore it from a backup: %w",
			db.path, errors.New(strings.Join(problems, "; ")))
	}
	return nil
}

// Stats counts what the catalog holds.
type Stats struct {
	Batches int
	// Records counts records by status; statuses with none are absent.
	Records map[catalog.Status]int
	// Jobs counts jobs by state; states with none are absent.
	Jobs map[catalog.JobState]int
}

// Stats counts batches, records by status and jobs by state, from one
// consistent snapshot.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Records: map[catalog.Status]int{}, Jobs: map[catalog.JobState]int{}}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("count catalog: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM batches`).Scan(&s.Batches); err != nil {
		return Stats{}, fmt.Errorf("count batches: %w", err)
	}
	count := func(what, q string, put func(key string, n int)) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("count %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				key string
				n   int
			)
			if err := rows.Scan(&key, &n); err != nil {
				return fmt.Errorf("count %s: %w", what, err)
			}
			put(key, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count %s: %w", what, err)
		}
		return nil
	}
	if err := count("records", `SELECT status, count(*) FROM records GROUP BY status`,
		func(k string, n int) { s.Records[catalog.Status(k)] = n }); err != nil {
		return Stats{}, err
	}
	if err := count("jobs", `SELECT state, count(*) FROM jobs GROUP BY state`,
		func(k string, n int) { s.Jobs[catalog.JobState(k)] = n }); err != nil {
		return Stats{}, err
	}
	return s, nil
}

// Kinds of JobProblem.
const (
	// JobLeaseExpired is a running job whose lease ran out: its worker
	// died or hangs, and no worker has taken the job over yet.
	JobLeaseExpired = "lease_expired"
	// JobEnded is a record still queued or processing whose job is done
	// or failed: nothing will ever finish the record.
	JobEnded = "job_ended"
	// JobMissing is a record still queued or processing with no job.
	JobMissing = "no_job"
)

// JobProblem is a record the queue will not carry to a final status by
// itself, or will only after a lease runs out.
type JobProblem struct {
	Kind     string
	RecordID int64
	Source   string
	Status   catalog.Status
	// JobID is 0 for JobMissing.
	JobID      int64
	JobState   catalog.JobState
	Owner      string
	LeaseUntil time.Time
	Attempts   int
	LastError  string
}

// JobProblems lists the running jobs whose lease expired before now and
// the records left unfinished (queued or processing) without a job that
// will finish them, in record order. Duplicates have no job by design
// and are never listed.
func (db *DB) JobProblems(ctx context.Context, now time.Time) ([]JobProblem, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.source, r.status,
			coalesce(j.id, 0), coalesce(j.state, ''), coalesce(j.owner, ''), j.lease_until,
			coalesce(j.attempts, 0), coalesce(j.last_error, '')
		FROM records r LEFT JOIN jobs j ON j.record_id = r.id
		WHERE (j.state = 'running' AND j.lease_until <= ?1)
		   OR (r.status IN ('queued', 'processing') AND (j.id IS NULL OR j.state IN ('done', 'failed')))
		ORDER BY r.id`, formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("find stuck jobs: %w", err)
	}
	defer rows.Close()
	var out []JobProblem
	for rows.Next() {
		var (
			p          JobProblem
			status, st string
			lease      sql.NullString
		)
		if err := rows.Scan(&p.RecordID, &p.Source, &status, &p.JobID, &st, &p.Owner, &lease, &p.Attempts, &p.LastError); err != nil {
			return nil, fmt.Errorf("find stuck jobs: %w", err)
		}
		p.Status, p.JobState = catalog.Status(status), catalog.JobState(st)
		if p.LeaseUntil, err = parseTime(lease.String); err != nil {
			return nil, fmt.Errorf("find stuck jobs: %w", err)
		}
		switch {
		case p.JobID == 0:
			p.Kind = JobMissing
		case p.JobState == catalog.JobRunning:
			p.Kind = JobLeaseExpired
		default:
			p.Kind = JobEnded
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find stuck jobs: %w", err)
	}
	return out, nil
}

// ErrInFlight means a repair was refused because a live worker holds the
// record's job (its lease has not run out).
var ErrInFlight = errors.New("a worker holds the job")

// RequeueExpired returns a running job whose lease ran out before now to
// the queue, and appends ev, in one transaction. A job renewed, finished
// or requeued meanwhile is left alone and ErrInFlight or nil returned.
func (db *DB) RequeueExpired(ctx context.Context, jobID int64, now time.Time, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs
			SET state = 'queued', owner = '', lease_until = NULL, run_after = ?1
			WHERE id = ?2 AND state = 'running' AND lease_until <= ?1`, formatTime(now), jobID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var state string
			err := tx.QueryRowContext(ctx, `SELECT state FROM jobs WHERE id = ?`, jobID).Scan(&state)
			if err != nil {
				return notFound(err)
			}
			if state == string(catalog.JobRunning) {
				return ErrInFlight
			}
			return nil
		}
		return insertEvent(ctx, tx, now, ev)
	})
	if err != nil {
		return fmt.Errorf("requeue job %d: %w", jobID, err)
	}
	return nil
}

// Reprocess queues the record's job again so a worker carries it through
// the stages it lacks: a done or failed job is queued afresh (keeping its
// attempts, so a record that keeps failing still ends failed), a missing
// one created. It appends ev in the same transaction. ErrInFlight if the
// job is running under a lease that has not run out before now; a job
// already queued is left as it is.
func (db *DB) Reprocess(ctx context.Context, recordID int64, now time.Time, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var (
			jobID int64
			state string
			lease sql.NullString
		)
		err := tx.QueryRowContext(ctx, `SELECT id, state, lease_until FROM jobs WHERE record_id = ?`, recordID).
			Scan(&jobID, &state, &lease)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM records WHERE id = ?`, recordID).Scan(&one); err != nil {
				return notFound(err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (record_id, state, run_after, created_at)
				VALUES (?, 'queued', ?, ?)`, recordID, formatTime(now), formatTime(now)); err != nil {
				return err
			}
		case err != nil:
			return err
		case state == string(catalog.JobQueued):
			return nil
		case state == string(catalog.JobRunning) && lease.String > formatTime(now):
			return ErrInFlight
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE jobs
				SET state = 'queued', owner = '', lease_until = NULL, run_after = ?
				WHERE id = ?`, formatTime(now), jobID); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, now, ev)
	})
	if err != nil {
		return fmt.Errorf("reprocess record %d: %w", recordID, err)
	}
	return nil
}

// FailRecord marks a record failed with msg (what the clerk reads), ends
// its job as failed and appends ev, in one transaction. ErrInFlight if
// its job is running under a lease that has not run out before now.
func (db *DB) FailRecord(ctx context.Context, recordID int64, msg string, now time.Time, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var inFlight int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs
			WHERE record_id = ? AND state = 'running' AND lease_until > ?`, recordID, formatTime(now)).Scan(&inFlight); err != nil {
			return err
		}
		if inFlight > 0 {
			return ErrInFlight
		}
		res, err := tx.ExecContext(ctx, `UPDATE records SET status = 'failed', error = ?, updated_at = ? WHERE id = ?`,
			msg, formatTime(now), recordID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', owner = '', lease_until = NULL, last_error = ?
			WHERE record_id = ? AND state IN ('queued', 'running')`, msg, recordID); err != nil {
			return err
		}
		if err := reindex(ctx, tx, recordID); err != nil {
			return err
		}
		return insertEvent(ctx, tx, now, ev)
	})
	if err != nil {
		return fmt.Errorf("fail record %d: %w", recordID, err)
	}
	return nil
}

// RecordObjects is what a record says is in the object store.
type RecordObjects struct {
	RecordID int64
	Source   string
	Status   catalog.Status
	SHA256   string
	Original string
	Archive  string
}

// EachRecordObjects calls fn with the object keys of every record, in
// record order, from one consistent snapshot, and stops at the first
// error fn returns.
func (db *DB) EachRecordObjects(ctx context.Context, fn func(RecordObjects) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT id, source, status, sha256, original, archive FROM records ORDER BY id`)
	if err != nil {
		return fmt.Errorf("list records' objects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r      RecordObjects
			status string
		)
		if err := rows.Scan(&r.RecordID, &r.Source, &status, &r.SHA256, &r.Original, &r.Archive); err != nil {
			return fmt.Errorf("list records' objects: %w", err)
		}
		r.Status = catalog.Status(status)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list records' objects: %w", err)
	}
	return nil
}

// JobOfRecord returns the job of the record; ErrNotFound if it has none
// (a duplicate, or a record added without one).
func (db *DB) JobOfRecord(ctx context.Context, recordID int64) (catalog.Job, error) {
	j, err := scanJob(db.read.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE record_id = ?`, recordID))
	if err != nil {
		return catalog.Job{}, fmt.Errorf("read job of record %d: %w", recordID, notFound(err))
	}
	return j, nil
}

// RequeueOwned returns a running job to the queue while owner, a worker
// known to have stopped, still holds it, and appends ev, in one
// transaction. A job another worker took meanwhile, or that ended, is left
// alone: ErrInFlight, or nil.
func (db *DB) RequeueOwned(ctx context.Context, jobID int64, owner string, now time.Time, ev catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs
			SET state = 'queued', owner = '', lease_until = NULL, run_after = ?
			WHERE id = ? AND state = 'running' AND owner = ?`, formatTime(now), jobID, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var state string
			if err := tx.QueryRowContext(ctx, `SELECT state FROM jobs WHERE id = ?`, jobID).Scan(&state); err != nil {
				return notFound(err)
			}
			if state == string(catalog.JobRunning) {
				return ErrInFlight
			}
			return nil
		}
		return insertEvent(ctx, tx, now, ev)
	})
	if err != nil {
		return fmt.Errorf("requeue job %d of %s: %w", jobID, owner, err)
	}
	return nil
}
