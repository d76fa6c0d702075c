package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"sohoa/storage/catalog"
)

// OpenBatch returns the unsealed batch with b.Key, or creates b (with
// CreatedAt set to now when zero). A batch with an empty Key is always
// created: an empty key identifies no invocation to resume.
func (db *DB) OpenBatch(ctx context.Context, b catalog.Batch) (catalog.Batch, error) {
	var out catalog.Batch
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if b.Key != "" {
			row := tx.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches
				WHERE key = ? AND sealed = 0`, b.Key)
			found, err := scanBatch(row)
			if err == nil {
				out = found
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if b.CreatedAt.IsZero() {
			b.CreatedAt = db.now()
		}
		b.CreatedAt = b.CreatedAt.UTC()
		res, err := tx.ExecContext(ctx, `INSERT INTO batches (unit, clerk, key, sealed, created_at)
			VALUES (?, ?, ?, ?, ?)`, b.Unit, b.Clerk, b.Key, b.Sealed, formatTime(b.CreatedAt))
		if err != nil {
			return err
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		out = b
		return nil
	})
	if err != nil {
		return catalog.Batch{}, fmt.Errorf("open batch %q: %w", b.Key, err)
	}
	return out, nil
}

// SealBatch marks the batch as complete; ErrNotFound if there is none.
// Sealing a sealed batch is not an error.
func (db *DB) SealBatch(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `UPDATE batches SET sealed = 1 WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("seal batch %d: %w", id, err)
	}
	return nil
}

// Batch returns the batch with the id; ErrNotFound if none.
func (db *DB) Batch(ctx context.Context, id int64) (catalog.Batch, error) {
	b, err := scanBatch(db.read.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if err != nil {
		return catalog.Batch{}, fmt.Errorf("read batch %d: %w", id, notFound(err))
	}
	return b, nil
}

const batchColumns = `id, unit, clerk, key, sealed, created_at`

func scanBatch(row interface{ Scan(...any) error }) (catalog.Batch, error) {
	var (
		b       catalog.Batch
		created string
		err     error
	)
	if err = row.Scan(&b.ID, &b.Unit, &b.Clerk, &b.Key, &b.Sealed, &created); err != nil {
		return catalog.Batch{}, err
	}
	if b.CreatedAt, err = parseTime(created); err != nil {
		return catalog.Batch{}, err
	}
	return b, nil
}

// notFound maps sql.ErrNoRows to catalog.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.ErrNotFound
	}
	return err
}

// mustAffect turns an UPDATE that matched no row into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return catalog.ErrNotFound
	}
	return nil
}
