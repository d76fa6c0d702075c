package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// foldChunk is how many records one write transaction of foldNumbers or
// RebuildSearch reads at a time.
const foldChunk = 5000

// foldNumbers writes number_key for the records that have none yet (those
// from before migration 0006 or written by plain SQL), a chunk per write
// transaction so ingest is not held up. When every record has its key, as
// after the first call, it is one index probe.
func (db *DB) foldNumbers(ctx context.Context) error {
	for {
		var todo int
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM
			(SELECT 1 FROM records WHERE number_key IS NULL LIMIT 1)`).Scan(&todo); err != nil {
			return fmt.Errorf("fold record numbers: %w", err)
		}
		if todo == 0 {
			return nil
		}
		err := db.tx(ctx, func(tx *sql.Tx) error {
			type numbered struct {
				id     int64
				number string
			}
			rows, err := tx.QueryContext(ctx, `SELECT id, number FROM records WHERE number_key IS NULL LIMIT ?`, foldChunk)
			if err != nil {
				return err
			}
			var recs []numbered
			for rows.Next() {
				var n numbered
				if err := rows.Scan(&n.id, &n.number); err != nil {
					rows.Close()
					return err
				}
				recs = append(recs, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			set, err := tx.PrepareContext(ctx, `UPDATE records SET number_key = ? WHERE id = ?`)
			if err != nil {
				return err
			}
			defer set.Close()
			for _, n := range recs {
				if _, err := set.ExecContext(ctx, numberKey(n.number), n.id); err != nil {
					return fmt.Errorf("record %d: %w", n.id, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fold record numbers: %w", err)
		}
	}
}

// The setting that says the search index holds every record, and the
// migration that last emptied it (migrations/0012_search_prefix4.sql).
const (
	searchIndexSetting = "search_index"
	searchIndexVersion = "0012"
)

// ensureSearchIndex rebuilds the search index if a migration emptied it
// while the catalog had records: the first search after an upgrade.
func (db *DB) ensureSearchIndex(ctx context.Context) error {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, searchIndexSetting).Scan(&v)
	switch {
	case err == nil && v == searchIndexVersion:
		return nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read search index version: %w", err)
	}
	return db.RebuildSearch(ctx)
}

// RebuildSearch rewrites the whole search index and every folded number
// from the records and their pages, in one write transaction, and merges
// the index into one segment. It is for a catalog whose records were
// written without going through the catalog (a bulk import, a restored or
// repaired file) or indexed by an older folding; AddRecord, UpdateRecord
// and PutPage keep the index current by themselves.
func (db *DB) RebuildSearch(ctx context.Context) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO search (search) VALUES ('delete-all')`); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, insertSearch)
		if err != nil {
			return err
		}
		defer ins.Close()
		setKey, err := tx.PrepareContext(ctx, `UPDATE records SET number_key = ? WHERE id = ? AND number_key IS NOT ?`)
		if err != nil {
			return err
		}
		defer setKey.Close()
		var after int64
		for {
			ids, entries, err := indexChunk(ctx, tx, after)
			if err != nil {
				return err
			}
			for i, id := range ids {
				e := entries[i]
				if _, err := ins.ExecContext(ctx, e.args(id)...); err != nil {
					return fmt.Errorf("index record %d: %w", id, err)
				}
				key := numberKey(e.number)
				if _, err := setKey.ExecContext(ctx, key, id, key); err != nil {
					return fmt.Errorf("fold number of record %d: %w", id, err)
				}
			}
			if len(ids) < foldChunk {
				break
			}
			after = ids[len(ids)-1]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search (search) VALUES ('optimize')`); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)`,
			searchIndexSetting, searchIndexVersion)
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild search index of %s: %w", db.path, err)
	}
	return nil
}

// indexChunk reads the index entries of the next foldChunk records after
// id after, in id order, with their pages.
func indexChunk(ctx context.Context, tx *sql.Tx, after int64) ([]int64, []indexEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, number, subject, issuer, doc_type, field
		FROM records WHERE id > ? ORDER BY id LIMIT ?`, after, foldChunk)
	if err != nil {
		return nil, nil, err
	}
	var (
		ids     []int64
		entries []indexEntry
	)
	for rows.Next() {
		var (
			id int64
			e  indexEntry
		)
		if err := rows.Scan(&id, &e.number, &e.subject, &e.issuer, &e.docType, &e.field); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ids = append(ids, id)
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	pages, err := tx.QueryContext(ctx, `SELECT record_id, text FROM pages
		WHERE record_id BETWEEN ? AND ? ORDER BY record_id, n`, ids[0], ids[len(ids)-1])
	if err != nil {
		return nil, nil, err
	}
	defer pages.Close()
	for pages.Next() {
		var (
			id   int64
			text string
		)
		if err := pages.Scan(&id, &text); err != nil {
			return nil, nil, err
		}
		if i, ok := at[id]; ok {
			entries[i].pages = append(entries[i].pages, text)
		}
	}
	return ids, entries, pages.Err()
}
