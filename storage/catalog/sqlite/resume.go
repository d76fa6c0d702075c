package sqlite

import (
	"context"
	"fmt"

	"sohoa/storage/catalog"
)

// LastBatch returns the most recent batch with the key, sealed or not;
// ErrNotFound if there is none. An ingest run again after it sealed its
// batch (killed between sealing and exiting, say) finds it here.
func (db *DB) LastBatch(ctx context.Context, key string) (catalog.Batch, error) {
	b, err := scanBatch(db.read.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches
		WHERE key = ? AND key <> '' ORDER BY id DESC LIMIT 1`, key))
	if err != nil {
		return catalog.Batch{}, fmt.Errorf("find last batch %q: %w", key, notFound(err))
	}
	return b, nil
}
