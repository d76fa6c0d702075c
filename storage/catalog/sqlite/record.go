package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"sohoa/storage/catalog"
)

// AddRecord inserts r and, when enqueue is true, a queued job for it, in
// one transaction, and indexes it for search. It returns r with its ID, a
// Status of queued when r had none, and CreatedAt and UpdatedAt set to now
// when zero. A second record for the same (BatchID, Source) is refused:
// look it up with RecordInBatch first.
func (db *DB) AddRecord(ctx context.Context, r catalog.Record, enqueue bool) (catalog.Record, error) {
	return db.AddRecordLogged(ctx, r, enqueue)
}

// AddRecordLogged is AddRecord that also appends events about the new
// record (their RecordID set to its ID) in the same transaction: a crash
// cannot leave the record without the log of who handed it over.
func (db *DB) AddRecordLogged(ctx context.Context, r catalog.Record, enqueue bool, events ...catalog.Event) (catalog.Record, error) {
	now := db.now().UTC()
	if r.Status == "" {
		r.Status = catalog.StatusQueued
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO records (`+recordWritable+`)
			VALUES (`+placeholders(recordWritableCount)+`)`, recordArgs(r)...)
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if enqueue {
			if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (record_id, state, run_after, created_at)
				VALUES (?, 'queued', ?, ?)`, r.ID, formatTime(now), formatTime(now)); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
		}
		for _, e := range events {
			e.RecordID = r.ID
			if err := insertEvent(ctx, tx, now, e); err != nil {
				return fmt.Errorf("log %s: %w", e.Action, err)
			}
		}
		return reindex(ctx, tx, r.ID)
	})
	if err != nil {
		return catalog.Record{}, fmt.Errorf("add record %q of batch %d: %w", r.Source, r.BatchID, err)
	}
	return r, nil
}

// Record returns the record with the id; ErrNotFound if none.
func (db *DB) Record(ctx context.Context, id int64) (catalog.Record, error) {
	r, err := scanRecord(db.read.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`, id))
	if err != nil {
		return catalog.Record{}, fmt.Errorf("read record %d: %w", id, notFound(err))
	}
	return r, nil
}

// RecordInBatch returns the record of the batch made from source, matched
// byte for byte; ErrNotFound if none. Of a split stack it returns the
// record ingest made (the stack's first document, lowest id).
func (db *DB) RecordInBatch(ctx context.Context, batchID int64, source string) (catalog.Record, error) {
	r, err := scanRecord(db.read.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records
		WHERE batch_id = ? AND source = ? ORDER BY id LIMIT 1`, batchID, source))
	if err != nil {
		return catalog.Record{}, fmt.Errorf("read record %q of batch %d: %w", source, batchID, notFound(err))
	}
	return r, nil
}

// FirstRecordWithSHA returns the oldest record that is not a duplicate
// holding the bytes with the sha256; ErrNotFound if none.
func (db *DB) FirstRecordWithSHA(ctx context.Context, sha256hex string) (catalog.Record, error) {
	r, err := scanRecord(db.read.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records
		WHERE sha256 = ? AND status <> 'duplicate' ORDER BY id LIMIT 1`, strings.ToLower(sha256hex)))
	if err != nil {
		return catalog.Record{}, fmt.Errorf("find record with sha256 %s: %w", sha256hex, notFound(err))
	}
	return r, nil
}

// UpdateRecord writes every field of r (matched by ID), sets UpdatedAt to
// now (r.UpdatedAt is ignored), keeps the stored CreatedAt when
// r.CreatedAt is zero, and refreshes the record's search entry in the same
// transaction. ErrNotFound if there is no such record.
func (db *DB) UpdateRecord(ctx context.Context, r catalog.Record) error {
	r.UpdatedAt = db.now().UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		args := recordArgs(r)
		if r.CreatedAt.IsZero() {
			// coalesce keeps the stored value.
			args[len(args)-2] = nil
		}
		args = append(args, r.ID)
		res, err := tx.ExecContext(ctx, `UPDATE records SET `+recordAssignments+` WHERE id = ?`, args...)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		return reindex(ctx, tx, r.ID)
	})
	if err != nil {
		return fmt.Errorf("update record %d: %w", r.ID, err)
	}
	return nil
}

// List returns the records matching f, oldest first; f.Limit <= 0 means
// no limit.
func (db *DB) List(ctx context.Context, f catalog.Filter) ([]catalog.Record, error) {
	var (
		where []string
		args  []any
	)
	if f.Unit != "" {
		where, args = append(where, "unit = ?"), append(args, f.Unit)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.DocType != "" {
		where, args = append(where, "doc_type = ?"), append(args, f.DocType)
	}
	if f.BatchID != 0 {
		where, args = append(where, "batch_id = ?"), append(args, f.BatchID)
	}
	q := `SELECT ` + recordColumns + ` FROM records`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	var out []catalog.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	return out, nil
}

// recordWritable lists the columns AddRecord and UpdateRecord write, in
// the order of recordArgs; created_at and updated_at come last.
var recordWritableNames = []string{
	"batch_id", "unit", "source", "sha256", "size", "content_type", "pages", "status", "stage", "duplicate_of",
	"doc_type", "doc_type_conf", "field", "field_conf", "number", "number_conf",
	"issued", "issued_conf", "issuer", "issuer_conf", "subject", "subject_conf",
	"ocr_confidence", "original", "archive", "error",
	"split", "first_page", "last_page", "split_from", "created_at", "updated_at",
}

var (
	recordWritable      = strings.Join(recordWritableNames, ", ")
	recordWritableCount = len(recordWritableNames)
	recordColumns       = "id, " + recordWritable
	recordAssignments   = assignments(recordWritableNames)
)

func assignments(cols []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if c == "created_at" {
			b.WriteString("created_at = coalesce(?, created_at)")
			continue
		}
		b.WriteString(c + " = ?")
	}
	return b.String()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func recordArgs(r catalog.Record) []any {
	return []any{
		r.BatchID, r.Unit, r.Source, strings.ToLower(r.SHA256), r.Size, r.ContentType, r.Pages, string(r.Status), r.Stage, nullID(r.DuplicateOf),
		r.DocType.Value, r.DocType.Confidence, r.Field.Value, r.Field.Confidence, r.Number.Value, r.Number.Confidence,
		r.Issued.Value, r.Issued.Confidence, r.Issuer.Value, r.Issuer.Confidence, r.Subject.Value, r.Subject.Confidence,
		r.OCRConfidence, r.Original, r.Archive, r.Error,
		r.Split, r.FirstPage, r.LastPage, nullID(r.SplitFrom), formatTime(r.CreatedAt), formatTime(r.UpdatedAt),
	}
}

func scanRecord(row interface{ Scan(...any) error }) (catalog.Record, error) {
	var (
		r                catalog.Record
		status           string
		dup, splitFrom   sql.NullInt64
		created, updated string
	)
	err := row.Scan(&r.ID,
		&r.BatchID, &r.Unit, &r.Source, &r.SHA256, &r.Size, &r.ContentType, &r.Pages, &status, &r.Stage, &dup,
		&r.DocType.Value, &r.DocType.Confidence, &r.Field.Value, &r.Field.Confidence, &r.Number.Value, &r.Number.Confidence,
		&r.Issued.Value, &r.Issued.Confidence, &r.Issuer.Value, &r.Issuer.Confidence, &r.Subject.Value, &r.Subject.Confidence,
		&r.OCRConfidence, &r.Original, &r.Archive, &r.Error,
		&r.Split, &r.FirstPage, &r.LastPage, &splitFrom, &created, &updated)
	if err != nil {
		return catalog.Record{}, err
	}
	r.Status = catalog.Status(status)
	r.DuplicateOf = dup.Int64
	r.SplitFrom = splitFrom.Int64
	if r.CreatedAt, err = parseTime(created); err != nil {
		return catalog.Record{}, err
	}
	if r.UpdatedAt, err = parseTime(updated); err != nil {
		return catalog.Record{}, err
	}
	return r, nil
}
