package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"sohoa/storage/catalog"
)

// IntegrityCheck runs SQLite's integrity check (which covers the search
// index too) and a foreign key check over the whole file. It returns nil
// when both find nothing wrong, otherwise an error listing what they found.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	// A connection of its own: FTS5 checks its index against a copy of
	// the index structure cached by the connection, and, unlike a query,
	// the check does not refresh that copy first. On a pooled connection
	// that searched before another connection wrote, it reports sound
	// files as corrupt.
	conn, err := sql.Open("sqlite3", db.readDSN)
	if err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)

	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return fmt.Errorf("check catalog integrity: %w", err)
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check catalog integrity: %w", err)
	}

	fk, err := conn.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("check catalog foreign keys: %w", err)
	}
	for fk.Next() {
		var (
			table, parent string
			rowid         *int64
			index         int
		)
		if err := fk.Scan(&table, &rowid, &parent, &index); err != nil {
			fk.Close()
			return fmt.Errorf("check catalog foreign keys: %w", err)
		}
		id := "?"
		if rowid != nil {
			id = fmt.Sprint(*rowid)
		}
		problems = append(problems, fmt.Sprintf("row %s of %s points to a missing row of %s", id, table, parent))
	}
	fk.Close()
	if err := fk.Err(); err != nil {
		return fmt.Errorf("check catalog foreign keys: %w", err)
	}

	if len(problems) > 0 {
		return fmt.Errorf("catalog %s is damaged: restore it from a backup: %w",
			db.path, errors.New(strings.Join(problems, "; ")))
	}
	return nil
}

// Stats counts what the catalog holds.
type Stats struct {
	Batches int
	// Records counts records by status; statuses with none are absent.
	Records map[catalog.Status]int
	// Jobs counts jobs by state; states with none are absent.
	Jobs map[catalog.JobState]int
}

// Stats counts batches, records by status and jobs by state, from one
// consistent snapshot.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Records: map[catalog.Status]int{}, Jobs: map[catalog.JobState]int{}}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("count catalog: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM batches`).Scan(&s.Batches); err != nil {
		return Stats{}, fmt.Errorf("count batches: %w", err)
	}
	count := func(what, q string, put func(key string, n int)) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("count %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				key string
				n   int
			)
			if err := rows.Scan(&key, &n); err != nil {
				return fmt.Errorf("count %s: %w", what, err)
			}
			put(key, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count %s: %w", what, err)
		}
		return nil
	}
	if err := count("records", `SELECT status, count(*) FROM records GROUP BY status`,
		func(k string, n int) { s.Records[catalog.Status(k)] = n }); err != nil {
		return Stats{}, err
	}
	if err := count("jobs", `SELECT state, count(*) FROM jobs GROUP BY state`,
		func(k string, n int) { s.Jobs[catalog.JobState(k)] = n }); err != nil {
		return Stats{}, err
	}
	return s, nil
}
