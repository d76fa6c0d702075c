package sqlite

import (
	"context"
	"database/sql"
)

// readAll runs a query on the read pool and scans every row with scan,
// closing the rows and checking their error, the loop every list reader
// would otherwise write out again.
func readAll[T any](ctx context.Context, db *DB, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
