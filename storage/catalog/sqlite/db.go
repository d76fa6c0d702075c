// Package sqlite implements catalog.Catalog and catalog.Queue on one SQLite
// file (github.com/mattn/go-sqlite3, cgo), the embedded catalog of a single
// machine.
//
// The file is in WAL mode. Writes go through one connection that opens its
// transactions with BEGIN IMMEDIATE, so goroutines of this process queue in
// Go for it and other processes wait on busy_timeout, instead of failing
// with "database is locked" halfway through a transaction. Reads go through
// a separate pool of read-only connections and never wait for the writer.
//
// Full-text search needs SQLite's FTS5, which go-sqlite3 compiles in only
// with the build tag sqlite_fts5: build and test with -tags sqlite_fts5
// (the Makefile sets it).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"sohoa/storage/catalog"
)

var (
	_ catalog.Catalog = (*DB)(nil)
	_ catalog.Queue   = (*DB)(nil)
)

// busyTimeout is how long a statement waits for another process holding
// the write lock before it fails.
const busyTimeout = 10 * time.Second

// DB is a catalog and job queue in one SQLite file. It is safe for
// concurrent use.
type DB struct {
	path string
	// write has one connection: SQLite allows one writer at a time, and
	// queueing writers in database/sql is cheaper and fairer than letting
	// them spin on the file lock.
	write *sql.DB
	// read is a pool of query-only connections; in WAL mode readers see
	// the last committed state and do not block the writer.
	read *sql.DB
	// readDSN opens a read-only connection, for the integrity check.
	readDSN string
	// now is the clock; tests replace it to expire leases.
	now func() time.Time
	// watch is the connection of DataVersion.
	watch watch
}

// Open opens the catalog at path, creating the file if it does not exist,
// and brings its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open catalog: no path given")
	}
	common := url.Values{}
	common.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	common.Set("_foreign_keys", "on")
	common.Set("_synchronous", "NORMAL")

	wv := cloneValues(common)
	wv.Set("_journal_mode", "WAL")
	wv.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite3", dsn(path, wv))
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	db := &DB{path: path, write: write, now: time.Now}
	// The writer connects first: it creates the file and switches it to
	// WAL before any reader looks at it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}

	rv := cloneValues(common)
	rv.Set("_query_only", "on")
	db.readDSN = dsn(path, rv)
	read, err := sql.Open("sqlite3", db.readDSN)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	db.read = read
	return db, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// dsn builds a go-sqlite3 URI. The path is escaped so names with '?' or
// '#' still open the file meant.
func dsn(path string, v url.Values) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: v.Encode()}
	return u.String()
}

// Path returns the file the catalog lives in.
func (db *DB) Path() string { return db.path }

// Close closes the catalog. It asks SQLite to refresh its query planner
// statistics first, as SQLite recommends before closing a connection that
// wrote.
func (db *DB) Close() error {
	errs := []error{db.watch.close()}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := db.write.ExecContext(ctx, "PRAGMA optimize")
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("optimize catalog: %w", err))
		}
		errs = append(errs, db.write.Close())
	}
	db.read, db.write = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close catalog %s: %w", db.path, err)
	}
	return nil
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if fn
// returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isConstraint reports whether err is SQLite refusing a row (CHECK,
// FOREIGN KEY, UNIQUE, NOT NULL).
func isConstraint(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so stored
// timestamps sort and compare as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}

// nullID stores id 0 (none) as NULL so foreign keys hold.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
