package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// watch holds the connection DataVersion asks. SQLite's PRAGMA
// data_version is a number of one connection, which changes whenever
// another connection (the writer of this process, or any connection of
// another process) has committed since that connection last looked. Its
// values mean nothing on another connection, so the one is kept for this
// alone, and each connection opened after a failure starts a generation.
type watch struct {
	mu   sync.Mutex
	db   *sql.DB   // opened on the first DataVersion
	conn *sql.Conn // the connection asked, nil after a failure
	gen  int64     // connections opened so far
}

// DataVersion returns a number that differs after anything is committed
// to the catalog, by this process or another, and stays the same while
// nothing is. What was read after a DataVersion is still current as long
// as DataVersion returns the same number.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db == nil {
		c, err := sql.Open("sqlite3", db.readDSN)
		if err != nil {
			return 0, fmt.Errorf("read catalog data version: %w", err)
		}
		c.SetMaxOpenConns(1)
		w.db = c
	}
	if w.conn == nil {
		c, err := w.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("read catalog data version: %w", err)
		}
		w.conn = c
		w.gen++
	}
	var v int64
	if err := w.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		// A connection that failed once is not trusted to count on.
		_ = w.conn.Close()
		w.conn = nil
		return 0, fmt.Errorf("read catalog data version: %w", err)
	}
	// data_version is a 32-bit counter of the connection.
	return w.gen<<32 | v&0xffffffff, nil
}

// close closes the connection DataVersion asks, if it was opened.
func (w *watch) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
	}
	if w.db != nil {
		errs = append(errs, w.db.Close())
	}
	w.conn, w.db = nil, nil
	return errors.Join(errs...)
}
