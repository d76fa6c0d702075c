// Package sqlitetest fills real catalog files with synthetic data of a
// realistic size, for benchmarks and tests of what reads a whole catalog.
// It writes records with plain SQL, in one transaction, instead of going
// through AddRecord one record at a time: a million records take seconds
// instead of hours, and each record's times are the caller's, not the
// clock's.
package sqlitetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver sqlite.DB uses

	"sohoa/storage/catalog"
)

// timeLayout is how the catalog stores timestamps (migrations/0001_init.sql):
// UTC, RFC 3339 with a fixed nine-digit fraction.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Record is a record to write: its unit code, status, when it was
// ingested and when it was last updated.
type Record struct {
	Unit   string
	Status catalog.Status
	// Created says the catalogue the unit code is read in (before or from
	// 1 July 2025). Updated is the time of the last change, which for a
	// digitized record the catalog takes as when it was digitized; zero
	// means Created.
	Created, Updated time.Time
	Number, Issued   string
	// DuplicateOf is the id of the record a duplicate repeats, 0 for none.
	DuplicateOf int64
}

// rowsPerInsert is how many records one INSERT statement carries: 10
// parameters each, well under SQLite's limit of 32,766.
const rowsPerInsert = 200

// InsertRecords writes recs into the catalog file at path, which
// sqlite.Open has created, in one transaction, with a sealed batch per
// unit. The records get ids in order, after those already there. The
// catalog's own trigger sets digitized_at on the digitized ones. No other
// connection may write to the file meanwhile.
func InsertRecords(ctx context.Context, path string, recs iter.Seq[Record]) (err error) {
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_synchronous", "OFF")
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "10000")
	// A cache that holds the whole table and its indexes: with the default
	// 2 MB, SQLite spills pages to the WAL over and over within the one
	// transaction.
	v.Set("_cache_size", "-1000000")
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: v.Encode()}).String())
	if err != nil {
		return fmt.Errorf("insert records into %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert records into %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	// Building the indexes of records after its rows, each in one sort,
	// is several times faster than keeping five indexes up to date row
	// by row; they are made again from their own definitions, so the
	// schema stays the migrations' to the byte.
	indexes, err := recordIndexes(ctx, tx)
	if err != nil {
		return err
	}
	for name := range indexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return fmt.Errorf("insert records: %w", err)
		}
	}

	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&id); err != nil {
		return fmt.Errorf("insert records: %w", err)
	}
	batches := map[string]int64{}
	newBatch, err := tx.PrepareContext(ctx, `INSERT INTO batches (unit, clerk, key, sealed, created_at) VALUES (?, 'sqlitetest', '', 1, ?)`)
	if err != nil {
		return fmt.Errorf("insert batches: %w", err)
	}
	defer newBatch.Close()
	batchOf := func(r Record) (int64, error) {
		if b, ok := batches[r.Unit]; ok {
			return b, nil
		}
		res, err := newBatch.ExecContext(ctx, r.Unit, r.Created.UTC().Format(timeLayout))
		if err != nil {
			return 0, fmt.Errorf("insert batch of %s: %w", r.Unit, err)
		}
		b, err := res.LastInsertId()
		batches[r.Unit] = b
		return b, err
	}

	const cols = `(id, batch_id, unit, source, size, content_type, pages, status, duplicate_of,
		doc_type, number, issued, created_at, updated_at)`
	const row = `(?, ?, ?, ?, 100000, 'application/pdf', 2, ?, ?, 'Quyết định', ?, ?, ?, ?)`
	insert := func(n int) (*sql.Stmt, error) {
		return tx.PrepareContext(ctx, `INSERT INTO records `+cols+` VALUES `+strings.TrimSuffix(strings.Repeat(row+",", n), ","))
	}
	full, err := insert(rowsPerInsert)
	if err != nil {
		return fmt.Errorf("insert records: %w", err)
	}
	defer full.Close()
	args := make([]any, 0, rowsPerInsert*10)
	flush := func() error {
		n := len(args) / 10
		if n == 0 {
			return nil
		}
		stmt := full
		if n < rowsPerInsert {
			s, err := insert(n)
			if err != nil {
				return err
			}
			defer s.Close()
			stmt = s
		}
		_, err := stmt.ExecContext(ctx, args...)
		args = args[:0]
		return err
	}
	for r := range recs {
		b, err := batchOf(r)
		if err != nil {
			return err
		}
		id++
		updated := r.Updated
		if updated.IsZero() {
			updated = r.Created
		}
		var dup any
		if r.DuplicateOf != 0 {
			dup = r.DuplicateOf
		}
		args = append(args, id, b, r.Unit, fmt.Sprintf("%08d.pdf", id), string(r.Status), dup,
			r.Number, r.Issued, r.Created.UTC().Format(timeLayout), updated.UTC().Format(timeLayout))
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return fmt.Errorf("insert records up to %d: %w", id, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("insert records up to %d: %w", id, err)
	}
	for _, def := range indexes {
		if _, err := tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("index records: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert records into %s: %w", path, err)
	}
	return nil
}

// recordIndexes returns the definition of each index of records, by name.
func recordIndexes(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read indexes of records: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, fmt.Errorf("read indexes of records: %w", err)
		}
		out[name] = def
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read indexes of records: %w", err)
	}
	return out, nil
}
