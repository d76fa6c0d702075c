package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sohoa/storage/catalog"
)

var _ catalog.Throughput = (*DB)(nil)

// indexAction is the event the pipeline appends when a record is finished.
const indexAction = "index"

// PagesPerHour returns the pages and records finished (indexed) in each
// hour from the hour holding since, oldest first.
func (db *DB) PagesPerHour(ctx context.Context, since time.Time) ([]catalog.HourPages, error) {
	// Timestamps are fixed-width RFC 3339 in UTC: the first 13 characters
	// ("2025-01-16T08") name the hour, and they compare as strings.
	from := since.UTC().Truncate(time.Hour)
	out, err := readAll(ctx, db, `SELECT substr(e.at, 1, 13) AS hour, count(*), coalesce(sum(r.pages), 0)
		FROM events e JOIN records r ON r.id = e.record_id
		WHERE e.action = ? AND e.at >= ?
		GROUP BY hour ORDER BY hour`, []any{indexAction, formatTime(from)},
		func(rows *sql.Rows) (catalog.HourPages, error) {
			var (
				h    catalog.HourPages
				hour string
			)
			if err := rows.Scan(&hour, &h.Records, &h.Pages); err != nil {
				return h, err
			}
			t, err := time.Parse("2006-01-02T15", hour)
			h.Hour = t.UTC()
			return h, err
		})
	if err != nil {
		return nil, fmt.Errorf("count pages per hour: %w", err)
	}
	return out, nil
}

// PagesProcessed returns the pages of every record finished (indexed),
// once per time it was finished.
func (db *DB) PagesProcessed(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT coalesce(sum(r.pages), 0)
		FROM events e JOIN records r ON r.id = e.record_id
		WHERE e.action = ?`, indexAction).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pages processed: %w", err)
	}
	return n, nil
}
