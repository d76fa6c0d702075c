package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"sohoa/storage/catalog"
)

// ReviewFields are the fields a person can set on a record, as the
// command line, the JSON output and the corrections table spell them.
var ReviewFields = []string{"doc_type", "field", "number", "issued_on", "issuer", "subject", "valid"}

// reviewColumns maps a review field to its value and confidence columns;
// valid has no confidence.
var reviewColumns = map[string][2]string{
	"doc_type":  {"doc_type", "doc_type_conf"},
	"field":     {"field", "field_conf"},
	"number":    {"number", "number_conf"},
	"issued_on": {"issued", "issued_conf"},
	"issuer":    {"issuer", "issuer_conf"},
	"subject":   {"subject", "subject_conf"},
	"valid":     {"valid", ""},
}

// Errors Confirm refuses with.
var (
	// ErrNotReviewable means the record is not in a state a person can
	// confirm: still in the pipeline, failed, or a duplicate.
	ErrNotReviewable = errors.New("record cannot be confirmed in its state")
	// ErrTypeUnknown means the record's type is empty or "khac" and no
	// person set it: confirming would teach the classifier nothing true.
	ErrTypeUnknown = errors.New("record type is unknown")
)

// Correction is one value a person sets on a record. Value is already
// validated by the caller; for valid it is "true" or "false".
type Correction struct {
	Field string
	Value string
}

// Change is one field a Correct call changed, as the event logs it.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Correct sets fields of the record as a person decided, in one
// transaction: each value with confidence 1, marked set by a person (so a
// re-run of the pipeline keeps it, see PersonSet), an event "correct"
// with details {field, old, new} by clerk for each value that changed,
// and the record's search entry refreshed. Setting a field to the value
// it has still marks it as a person's. An unknown field is refused;
// ErrNotFound if there is no such record.
func (db *DB) Correct(ctx context.Context, id int64, clerk string, cs []Correction) ([]Change, error) {
	for _, c := range cs {
		if _, ok := reviewColumns[c.Field]; !ok {
			return nil, fmt.Errorf("correct record %d: unknown field %q", id, c.Field)
		}
	}
	now := db.now().UTC()
	var changes []Change
	err := db.tx(ctx, func(tx *sql.Tx) error {
		old, err := reviewValues(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, c := range cs {
			col := reviewColumns[c.Field]
			var res sql.Result
			if col[1] == "" {
				res, err = tx.ExecContext(ctx, `UPDATE records SET `+col[0]+` = ?, updated_at = ? WHERE id = ?`,
					c.Value == "true", formatTime(now), id)
			} else {
				res, err = tx.ExecContext(ctx, `UPDATE records SET `+col[0]+` = ?, `+col[1]+` = 1, updated_at = ? WHERE id = ?`,
					c.Value, formatTime(now), id)
			}
			if err != nil {
				return fmt.Errorf("set %s: %w", c.Field, err)
			}
			if err := mustAffect(res); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO corrections (record_id, field, value, clerk, at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (record_id, field) DO UPDATE SET value = excluded.value, clerk = excluded.clerk, at = excluded.at`,
				id, c.Field, c.Value, clerk, formatTime(now)); err != nil {
				return fmt.Errorf("mark %s set by a person: %w", c.Field, err)
			}
			if old[c.Field] == c.Value {
				continue
			}
			ch := Change{Field: c.Field, Old: old[c.Field], New: c.Value}
			old[c.Field] = c.Value
			changes = append(changes, ch)
			details, _ := json.Marshal(ch)
			if err := insertEvent(ctx, tx, now, catalog.Event{Actor: clerk, Action: "correct", RecordID: id, Details: string(details)}); err != nil {
				return fmt.Errorf("log correction of %s: %w", c.Field, err)
			}
		}
		return reindex(ctx, tx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("correct record %d: %w", id, notFound(err))
	}
	return changes, nil
}

// reviewValues reads the record's review fields as strings.
func reviewValues(ctx context.Context, tx *sql.Tx, id int64) (map[string]string, error) {
	var (
		v     [6]string
		valid bool
	)
	err := tx.QueryRowContext(ctx, `SELECT doc_type, field, number, issued, issuer, subject, valid FROM records WHERE id = ?`, id).
		Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &valid)
	if err != nil {
		return nil, notFound(err)
	}
	out := map[string]string{"valid": fmt.Sprint(valid)}
	for i, f := range ReviewFields[:6] {
		out[f] = v[i]
	}
	return out, nil
}

// Confirm records that clerk checked the record: it becomes digitized (and
// counts toward targets), every field it shows is pinned as set by a
// person with confidence 1, and an event "confirm" logs the values, all in
// one transaction. Confirming again is allowed and logged again.
//
// A record still queued or in the pipeline, failed (nothing was read: scan
// it again) or a duplicate is refused with ErrNotReviewable; one whose
// type is empty or "khac" (khác) that no person set is refused with
// ErrTypeUnknown: the clerk sets doc_type first, to khac if that is the
// truth. ErrNotFound if there is no such record.
func (db *DB) Confirm(ctx context.Context, id int64, clerk string) (catalog.Record, error) {
	now := db.now().UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM records WHERE id = ?`, id).Scan(&status); err != nil {
			return notFound(err)
		}
		switch catalog.Status(status) {
		case catalog.StatusNeedsReview, catalog.StatusDigitized:
		default:
			return fmt.Errorf("%w: status %s", ErrNotReviewable, status)
		}
		vals, err := reviewValues(ctx, tx, id)
		if err != nil {
			return err
		}
		if t := vals["doc_type"]; t == "" || t == "khac" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM corrections WHERE record_id = ? AND field = 'doc_type'`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: %q", ErrTypeUnknown, t)
			}
		}
		// Pinning keeps what the person saw: a retrained classifier running
		// over the record again must not change a confirmed type.
		for _, f := range ReviewFields {
			if _, err := tx.ExecContext(ctx, `INSERT INTO corrections (record_id, field, value, clerk, at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (record_id, field) DO NOTHING`, id, f, vals[f], clerk, formatTime(now)); err != nil {
				return fmt.Errorf("pin %s: %w", f, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET status = 'digitized', error = '', updated_at = ?,
			doc_type_conf = 1, field_conf = 1, number_conf = 1, issued_conf = 1, issuer_conf = 1, subject_conf = 1
			WHERE id = ?`, formatTime(now), id); err != nil {
			return fmt.Errorf("mark digitized: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO confirmations (record_id, clerk, at) VALUES (?, ?, ?)
			ON CONFLICT (record_id) DO UPDATE SET clerk = excluded.clerk, at = excluded.at`, id, clerk, formatTime(now)); err != nil {
			return fmt.Errorf("record confirmation: %w", err)
		}
		details, _ := json.Marshal(map[string]any{"status": catalog.StatusDigitized, "was": status, "fields": vals})
		if err := insertEvent(ctx, tx, now, catalog.Event{Actor: clerk, Action: "confirm", RecordID: id, Details: string(details)}); err != nil {
			return fmt.Errorf("log confirmation: %w", err)
		}
		return reindex(ctx, tx, id)
	})
	if err != nil {
		return catalog.Record{}, fmt.Errorf("confirm record %d: %w", id, err)
	}
	return db.Record(ctx, id)
}

// PersonSet returns the values a person set on the record, by review
// field, and whether a person confirmed it. The pipeline puts them back
// when it processes the record again.
func (db *DB) PersonSet(ctx context.Context, id int64) (map[string]string, bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT field, value FROM corrections WHERE record_id = ?`, id)
	if err != nil {
		return nil, false, fmt.Errorf("read corrections of record %d: %w", id, err)
	}
	defer rows.Close()
	set := map[string]string{}
	for rows.Next() {
		var f, v string
		if err := rows.Scan(&f, &v); err != nil {
			return nil, false, fmt.Errorf("read corrections of record %d: %w", id, err)
		}
		set[f] = v
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read corrections of record %d: %w", id, err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM confirmations WHERE record_id = ?`, id).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("read confirmation of record %d: %w", id, err)
	}
	return set, n > 0, nil
}

// Valid reports whether the record's result is still in force (true unless
// a person set valid=false). ErrNotFound if there is no such record.
func (db *DB) Valid(ctx context.Context, id int64) (bool, error) {
	var v bool
	if err := db.read.QueryRowContext(ctx, `SELECT valid FROM records WHERE id = ?`, id).Scan(&v); err != nil {
		return false, fmt.Errorf("read validity of record %d: %w", id, notFound(err))
	}
	return v, nil
}

// ReviewQueue returns the records a person must look at: status
// needs_review or failed (or only the one status given), of one unit when
// unit is not empty, oldest first.
func (db *DB) ReviewQueue(ctx context.Context, unit string, status catalog.Status) ([]catalog.Record, error) {
	q := `SELECT ` + recordColumns + ` FROM records WHERE `
	var args []any
	if status != "" {
		q, args = q+`status = ?`, append(args, string(status))
	} else {
		q += `status IN ('needs_review', 'failed')`
	}
	if unit != "" {
		q, args = q+` AND unit = ?`, append(args, unit)
	}
	q += ` ORDER BY created_at, id`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list review queue: %w", err)
	}
	defer rows.Close()
	var out []catalog.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list review queue: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list review queue: %w", err)
	}
	return out, nil
}

// Confirmed is one record a person confirmed.
type Confirmed struct {
	RecordID int64
	Clerk    string
	At       time.Time
}

// Confirmations returns the confirmed records, the one confirmed longest
// ago first (a record confirmed again moves to its latest time).
func (db *DB) Confirmations(ctx context.Context) ([]Confirmed, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT record_id, clerk, at FROM confirmations ORDER BY at, record_id`)
	if err != nil {
		return nil, fmt.Errorf("list confirmations: %w", err)
	}
	defer rows.Close()
	var out []Confirmed
	for rows.Next() {
		var (
			c  Confirmed
			at string
		)
		if err := rows.Scan(&c.RecordID, &c.Clerk, &at); err != nil {
			return nil, fmt.Errorf("list confirmations: %w", err)
		}
		if c.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list confirmations: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list confirmations: %w", err)
	}
	return out, nil
}
