package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"sohoa/storage/catalog"
)

// PagePlan returns the record's page plan: for each page of the document,
// in order, which page of the record's range (from 1) it is and how far
// it is turned clockwise (0, 90, 180 or 270). nil, and no error, when no
// person changed the pages: they are as scanned.
func (db *DB) PagePlan(ctx context.Context, recordID int64) ([][2]int, error) {
	plan, _, err := db.PagePlanScanned(ctx, recordID)
	return plan, err
}

// PagePlanScanned is PagePlan with how many pages the record's range has
// as scanned (0 when it has no plan: then its pages are as scanned).
func (db *DB) PagePlanScanned(ctx context.Context, recordID int64) ([][2]int, int, error) {
	var (
		s       string
		scanned int
	)
	err := db.read.QueryRowContext(ctx, `SELECT plan, scanned FROM page_plans WHERE record_id = ?`, recordID).Scan(&s, &scanned)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read page plan of record %d: %w", recordID, err)
	}
	var plan [][2]int
	if err := json.Unmarshal([]byte(s), &plan); err != nil {
		return nil, 0, fmt.Errorf("read page plan of record %d: %w", recordID, err)
	}
	return plan, scanned, nil
}

// ErrInPipeline means the record is queued or being processed: its pages
// cannot be changed until the pipeline is done with it.
var ErrInPipeline = errors.New("record is in the pipeline")

// SetPagePlan gives the record a new page plan (see PagePlan) of its
// scanned pages as clerk
// decided and sends it through the pipeline again, in one transaction:
// the plan kept, the pages read so far forgotten (their text and word
// boxes belong to the old order), the record queued with its job queued
// afresh, and an event "pages" with the old and the new plan and the ops
// the clerk gave. What a person set on the record (corrections) stays
// and wins over what is read again. A plan equal to the pages as scanned
// (nil or empty) removes the row. A record queued or processing is refused with
// ErrInPipeline, a duplicate with ErrNotReviewable; ErrNotFound if there
// is no such record.
func (db *DB) SetPagePlan(ctx context.Context, recordID int64, plan [][2]int, scanned int, clerk string, ops []string) error {
	now := db.now().UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM records WHERE id = ?`, recordID).Scan(&status); err != nil {
			return notFound(err)
		}
		switch catalog.Status(status) {
		case catalog.StatusQueued, catalog.StatusProcessing:
			return fmt.Errorf("%w: status %s", ErrInPipeline, status)
		case catalog.StatusDuplicate:
			return fmt.Errorf("%w: status %s", ErrNotReviewable, status)
		}
		var old [][2]int
		var oldJSON string
		switch err := tx.QueryRowContext(ctx, `SELECT plan FROM page_plans WHERE record_id = ?`, recordID).Scan(&oldJSON); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal([]byte(oldJSON), &old); err != nil {
				return fmt.Errorf("read old page plan: %w", err)
			}
		}
		if plan == nil {
			plan = [][2]int{}
		}
		pj, _ := json.Marshal(plan)
		if len(plan) == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM page_plans WHERE record_id = ?`, recordID); err != nil {
				return fmt.Errorf("clear page plan: %w", err)
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO page_plans (record_id, plan, scanned, clerk, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (record_id) DO UPDATE SET plan = excluded.plan, scanned = excluded.scanned, clerk = excluded.clerk, at = excluded.at`,
			recordID, string(pj), scanned, clerk, formatTime(now)); err != nil {
			return fmt.Errorf("keep page plan: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pages WHERE record_id = ?`, recordID); err != nil {
			return fmt.Errorf("forget pages read: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET status = 'queued', stage = '', error = '', updated_at = ? WHERE id = ?`,
			formatTime(now), recordID); err != nil {
			return fmt.Errorf("queue record: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', owner = '', lease_until = NULL, run_after = ?, attempts = 0, last_error = ''
			WHERE record_id = ?`, formatTime(now), recordID)
		if err != nil {
			return fmt.Errorf("queue job: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (record_id, state, run_after, created_at) VALUES (?, 'queued', ?, ?)`,
				recordID, formatTime(now), formatTime(now)); err != nil {
				return fmt.Errorf("queue job: %w", err)
			}
		}
		if old == nil {
			old = [][2]int{}
		}
		if ops == nil {
			ops = []string{}
		}
		details, _ := json.Marshal(map[string]any{"ops": ops, "old": old, "new": plan, "was": status})
		if err := insertEvent(ctx, tx, now, catalog.Event{Actor: clerk, Action: "pages", RecordID: recordID, Details: string(details)}); err != nil {
			return fmt.Errorf("log page change: %w", err)
		}
		return reindex(ctx, tx, recordID)
	})
	if err != nil {
		return fmt.Errorf("change pages of record %d: %w", recordID, err)
	}
	return nil
}
