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
// The event extends the audit chain: the head is read and the event
// written in one BEGIN IMMEDIATE transaction, so appends from goroutines
// and processes never fork it.
func (db *DB) AppendEvent(ctx context.Context, e catalog.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return insertEvent(ctx, tx, db.now(), e) })
	if err != nil {
		return fmt.Errorf("append event %q of record %d: %w", e.Action, e.RecordID, err)
	}
	return nil
}

// insertEvent appends e to the chain within tx, a write transaction (the
// only way events are written), with At set to now when zero.
func insertEvent(ctx context.Context, tx *sql.Tx, now time.Time, e catalog.Event) error {
	if e.At.IsZero() {
		e.At = now
	}
	if _, err := chainLegacy(ctx, tx); err != nil {
		return err
	}
	head, err := chainHead(ctx, tx)
	if err != nil {
		return err
	}
	row := chainRow{
		id: head.LastID + 1, at: formatTime(e.At), actor: e.Actor, action: e.Action,
		recordID: nullID(e.RecordID), details: e.Details, prevHash: head.Hash,
	}
	row.hash = row.computeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO events (id, at, actor, action, record_id, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, row.id, row.at, row.actor, row.action, row.recordID, row.details, row.prevHash, row.hash)
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
