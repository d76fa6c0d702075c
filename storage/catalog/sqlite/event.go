package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sohoa/storage/catalog"
)

// AppendEvent adds e to the log, with At set to now when zero. Details
// must be empty or JSON; RecordID 0 means the event is about no record.
func (db *DB) AppendEvent(ctx context.Context, e catalog.Event) error {
	if err := insertEvent(ctx, db.write, db.now(), e); err != nil {
		return fmt.Errorf("append event %q of record %d: %w", e.Action, e.RecordID, err)
	}
	return nil
}

// insertEvent writes e through x (the writer or a transaction of it), with
// At set to now when zero.
func insertEvent(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, now time.Time, e catalog.Event) error {
	if e.At.IsZero() {
		e.At = now
	}
	_, err := x.ExecContext(ctx, `INSERT INTO events (at, actor, action, record_id, details)
		VALUES (?, ?, ?, ?, ?)`, formatTime(e.At), e.Actor, e.Action, nullID(e.RecordID), e.Details)
	return err
}

// Events returns the events of a record, oldest first.
func (db *DB) Events(ctx context.Context, recordID int64) ([]catalog.Event, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, actor, action, record_id, details
		FROM events WHERE record_id = ? ORDER BY id`, recordID)
	if err != nil {
		return nil, fmt.Errorf("read events of record %d: %w", recordID, err)
	}
	defer rows.Close()
	var out []catalog.Event
	for rows.Next() {
		var (
			e   catalog.Event
			at  string
			rid sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &rid, &e.Details); err != nil {
			return nil, fmt.Errorf("read events of record %d: %w", recordID, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("read events of record %d: %w", recordID, err)
		}
		e.RecordID = rid.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events of record %d: %w", recordID, err)
	}
	return out, nil
}
