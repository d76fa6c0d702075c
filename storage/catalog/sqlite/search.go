package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// defaultSearchLimit is how many hits Search returns when asked for none
// in particular.
const defaultSearchLimit = 20

// reindex rewrites record id's row of the search index from the record
// and its pages. It runs inside the transaction that changed them, so the
// index never lags the text.
func reindex(ctx context.Context, tx *sql.Tx, id int64) error {
	var number, subject, issuer, docType, field string
	if err := tx.QueryRowContext(ctx, `SELECT number, subject, issuer, doc_type, field
		FROM records WHERE id = ?`, id).Scan(&number, &subject, &issuer, &docType, &field); err != nil {
		return fmt.Errorf("index record %d: %w", id, notFound(err))
	}
	rows, err := tx.QueryContext(ctx, `SELECT text FROM pages WHERE record_id = ? ORDER BY n`, id)
	if err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	var body strings.Builder
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			rows.Close()
			return fmt.Errorf("index record %d: %w", id, err)
		}
		body.WriteString(vntext.Fold(text))
		body.WriteString("\n")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search (rowid, number, subject, issuer, doc_type, field, body)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id,
		vntext.Fold(number), vntext.Fold(subject), vntext.Fold(issuer),
		vntext.Fold(docType), vntext.Fold(field), body.String()); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	return nil
}

// Search finds records whose number, subject, issuer, document type, field
// or page text hold every word of query, ignoring case and accents (đ
// folds to d). "Quoted words" must appear together, and a word ending in *
// matches the words it begins. Hits are ranked by BM25, a match in the
// number or subject weighing more than one in the body. An empty query, or
// one with no words, has no hits; limit <= 0 means 20.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]catalog.Hit, error) {
	terms := parseQuery(query)
	if len(terms) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	hits, err := db.search(ctx, terms, limit)
	if err != nil {
		return nil, fmt.Errorf("search catalog for %q: %w", query, err)
	}
	return hits, nil
}

func (db *DB) search(ctx context.Context, terms []term, limit int) ([]catalog.Hit, error) {
	// One read transaction: the snippets come from the same state as the
	// ranking.
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.number, r.subject, r.issuer, r.doc_type, r.field, s.rank
		FROM (SELECT rowid, rank FROM search WHERE search MATCH ? ORDER BY rank LIMIT ?) AS s
		JOIN records AS r ON r.id = s.rowid
		ORDER BY s.rank`, matchExpr(terms), limit)
	if err != nil {
		return nil, err
	}
	type found struct {
		hit    catalog.Hit
		fields []string // issuer, doc type, field: snippet sources after the body and subject
	}
	var fs []found
	for rows.Next() {
		var (
			f                    found
			issuer, docType, fld string
			rank                 float64
		)
		if err := rows.Scan(&f.hit.RecordID, &f.hit.Number, &f.hit.Subject, &issuer, &docType, &fld, &rank); err != nil {
			rows.Close()
			return nil, err
		}
		// bm25 is lower for better matches; Hit.Score is higher.
		f.hit.Score = -rank
		f.fields = []string{issuer, docType, fld}
		fs = append(fs, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	hits := make([]catalog.Hit, len(fs))
	for i, f := range fs {
		texts, err := pageTexts(ctx, tx, f.hit.RecordID)
		if err != nil {
			return nil, err
		}
		texts = append(texts, f.hit.Subject, f.hit.Number)
		texts = append(texts, f.fields...)
		f.hit.Snippet = snippet(texts, terms)
		hits[i] = f.hit
	}
	return hits, nil
}

func pageTexts(ctx context.Context, tx *sql.Tx, recordID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT text FROM pages WHERE record_id = ? ORDER BY n`, recordID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		texts = append(texts, t)
	}
	return texts, rows.Err()
}
