package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/progress"
)

// defaultSearchLimit is how many hits Search returns when asked for none
// in particular.
const defaultSearchLimit = 20

// reindex rewrites record id's row of the search index, and its folded
// number, from the record and its pages. It runs inside the transaction
// that changed them, so the index never lags the text.
func reindex(ctx context.Context, tx *sql.Tx, id int64) error {
	var e indexEntry
	if err := tx.QueryRowContext(ctx, `SELECT number, subject, issuer, doc_type, field
		FROM records WHERE id = ?`, id).Scan(&e.number, &e.subject, &e.issuer, &e.docType, &e.field); err != nil {
		return fmt.Errorf("index record %d: %w", id, notFound(err))
	}
	texts, err := pageTexts(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	e.pages = texts
	if _, err := tx.ExecContext(ctx, `DELETE FROM search WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, insertSearch, e.args(id)...); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE records SET number_key = ? WHERE id = ? AND number_key IS NOT ?`,
		numberKey(e.number), id, numberKey(e.number)); err != nil {
		return fmt.Errorf("index record %d: %w", id, err)
	}
	return nil
}

// indexEntry is what the search index holds of one record.
type indexEntry struct {
	number, subject, issuer, docType, field string
	pages                                   []string
}

const insertSearch = `INSERT INTO search (rowid, number, subject, issuer, doc_type, field, body)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

// args are the values of insertSearch for record id: every column folded
// (vntext.Fold), the pages one after another.
func (e indexEntry) args(id int64) []any {
	var body strings.Builder
	for _, text := range e.pages {
		body.WriteString(vntext.Fold(text))
		body.WriteString("\n")
	}
	return []any{id, vntext.Fold(e.number), vntext.Fold(e.subject), vntext.Fold(e.issuer),
		vntext.Fold(e.docType), vntext.Fold(e.field), body.String()}
}

// numberKey is what records.number_key holds for a number: see
// migrations/0006_search.sql.
func numberKey(number string) string { return progress.MatchNumber(number) }

// Search finds records whose number, subject, issuer, document type, field
// or page text hold every word of query, ignoring case and accents (đ
// folds to d). "Quoted words" must appear together, and a word ending in *
// matches the words it begins. Hits are ranked as SearchRecords ranks
// them: by BM25, a match in the number or subject weighing more than one
// in the body, while the words are rare enough for that to be cheap. An
// empty query, or one with no words, has no hits; limit <= 0 means 20.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]catalog.Hit, error) {
	if len(parseQuery(query)) == 0 {
		return nil, nil
	}
	return db.SearchRecords(ctx, catalog.Query{Text: query, Limit: limit})
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
