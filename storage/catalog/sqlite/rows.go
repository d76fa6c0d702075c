package sqlite

import (
	"context"
	"database/sql"
)

// readAll runs a query on the read pool and scans every row with scan,
// closing the rows and checking their error, the loop every list reader
// would otherwise write out again.
func readAll[T any](ctx context.Context, db *DB, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	return queryAll(ctx, db.read, query, args, scan)
}

// rowsQuerier runs queries: the read pool, or a transaction.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll is readAll on q.
func queryAll[T any](ctx context.Context, q rowsQuerier, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
