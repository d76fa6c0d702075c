package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"sohoa/storage/catalog"
)

// SplitStack makes the documents of a stack, in one transaction: the
// record ingest made for the stack (not yet split: its FirstPage is 0)
// takes the first range, and each further range becomes a record of the
// same original with a queued job and SplitFrom set to the stack. ev (and
// one "split" event per new record) is logged with it. A stack already
// split is left as it is and its documents returned, so a split resumed
// after a kill never makes a document twice. It returns the documents in
// page order, the stack's record first.
func (db *DB) SplitStack(ctx context.Context, stackID int64, ranges [][2]int, ev catalog.Event) ([]catalog.Record, error) {
	if len(ranges) == 0 {
		return nil, fmt.Errorf("split record %d: no page ranges", stackID)
	}
	for i, rg := range ranges {
		if rg[0] < 1 || rg[1] < rg[0] || (i > 0 && rg[0] <= ranges[i-1][1]) {
			return nil, fmt.Errorf("split record %d: page ranges %v are not ascending and disjoint", stackID, ranges)
		}
	}
	now := db.now().UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		stack, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`, stackID))
		if err != nil {
			return notFound(err)
		}
		if stack.FirstPage != 0 || stack.SplitFrom != 0 {
			return errAlreadySplit
		}
		first := ranges[0]
		if _, err := tx.ExecContext(ctx, `UPDATE records SET first_page = ?, last_page = ?, pages = ?, updated_at = ? WHERE id = ?`,
			first[0], first[1], first[1]-first[0]+1, formatTime(now), stackID); err != nil {
			return fmt.Errorf("set range of the stack: %w", err)
		}
		ev.RecordID = stackID
		if err := insertEvent(ctx, tx, now, ev); err != nil {
			return fmt.Errorf("log split: %w", err)
		}
		for _, rg := range ranges[1:] {
			r := catalog.Record{
				BatchID: stack.BatchID, Unit: stack.Unit, Source: stack.Source, SHA256: stack.SHA256,
				Size: stack.Size, ContentType: stack.ContentType, Original: stack.Original,
				Status: catalog.StatusQueued, Stage: stack.Stage, Split: stack.Split,
				FirstPage: rg[0], LastPage: rg[1], Pages: rg[1] - rg[0] + 1, SplitFrom: stackID,
				CreatedAt: now, UpdatedAt: now,
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO records (`+recordWritable+`)
				VALUES (`+placeholders(recordWritableCount)+`)`, recordArgs(r)...)
			if err != nil {
				return fmt.Errorf("add pages %d-%d: %w", rg[0], rg[1], err)
			}
			if r.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (record_id, state, run_after, created_at)
				VALUES (?, 'queued', ?, ?)`, r.ID, formatTime(now), formatTime(now)); err != nil {
				return fmt.Errorf("enqueue pages %d-%d: %w", rg[0], rg[1], err)
			}
			child := catalog.Event{Actor: ev.Actor, Action: "split", RecordID: r.ID,
				Details: fmt.Sprintf(`{"from":%d,"first_page":%d,"last_page":%d}`, stackID, rg[0], rg[1])}
			if err := insertEvent(ctx, tx, now, child); err != nil {
				return fmt.Errorf("log split: %w", err)
			}
			if err := reindex(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		return reindex(ctx, tx, stackID)
	})
	if err != nil && !errors.Is(err, errAlreadySplit) {
		return nil, fmt.Errorf("split record %d into %d documents: %w", stackID, len(ranges), err)
	}
	return db.StackDocuments(ctx, stackID)
}

var errAlreadySplit = errors.New("already split")

// StackDocuments returns the documents split from the stack whose record
// ingest made is stackID, that record first, in page order.
func (db *DB) StackDocuments(ctx context.Context, stackID int64) ([]catalog.Record, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+recordColumns+` FROM records
		WHERE id = ? OR split_from = ? ORDER BY first_page, id`, stackID, stackID)
	if err != nil {
		return nil, fmt.Errorf("list documents of stack %d: %w", stackID, err)
	}
	defer rows.Close()
	var out []catalog.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents of stack %d: %w", stackID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list documents of stack %d: %w", stackID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("list documents of stack %d: %w", stackID, catalog.ErrNotFound)
	}
	return out, nil
}
