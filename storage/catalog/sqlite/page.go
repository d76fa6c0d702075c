package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"sohoa/ocr"
	"sohoa/storage/catalog"
)

// PutPage inserts or replaces page p.N of record p.RecordID and refreshes
// the record's search entry in the same transaction. The record must
// exist; Source must be "ocr" or "text".
func (db *DB) PutPage(ctx context.Context, p catalog.Page) error {
	words := p.Words
	if words == nil {
		words = []ocr.Word{}
	}
	wj, err := json.Marshal(words)
	if err != nil {
		return fmt.Errorf("put page %d of record %d: encode words: %w", p.N, p.RecordID, err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pages
			(record_id, n, source, dpi, text, words, confidence, width, height)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (record_id, n) DO UPDATE SET
				source = excluded.source, dpi = excluded.dpi, text = excluded.text,
				words = excluded.words, confidence = excluded.confidence,
				width = excluded.width, height = excluded.height`,
			p.RecordID, p.N, p.Source, p.DPI, p.Text, string(wj), p.Confidence, p.Width, p.Height); err != nil {
			return err
		}
		return reindex(ctx, tx, p.RecordID)
	})
	if err != nil {
		return fmt.Errorf("put page %d of record %d: %w", p.N, p.RecordID, err)
	}
	return nil
}

// Pages returns a record's pages in order; none (and no error) for a
// record without pages or without a row.
func (db *DB) Pages(ctx context.Context, recordID int64) ([]catalog.Page, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT record_id, n, source, dpi, text, words, confidence, width, height
		FROM pages WHERE record_id = ? ORDER BY n`, recordID)
	if err != nil {
		return nil, fmt.Errorf("read pages of record %d: %w", recordID, err)
	}
	defer rows.Close()
	var out []catalog.Page
	for rows.Next() {
		var (
			p  catalog.Page
			wj string
		)
		if err := rows.Scan(&p.RecordID, &p.N, &p.Source, &p.DPI, &p.Text, &wj, &p.Confidence, &p.Width, &p.Height); err != nil {
			return nil, fmt.Errorf("read pages of record %d: %w", recordID, err)
		}
		if err := json.Unmarshal([]byte(wj), &p.Words); err != nil {
			return nil, fmt.Errorf("read page %d of record %d: decode words: %w", p.N, recordID, err)
		}
		if len(p.Words) == 0 {
			p.Words = nil
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pages of record %d: %w", recordID, err)
	}
	return out, nil
}
