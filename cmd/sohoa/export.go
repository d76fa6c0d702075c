package main

import (
	"context"
	"errors"
)

// runExport is `sohoa export` (issue #5: BagIt evidence packages).
func runExport(ctx context.Context, e *env, args []string) error {
	return errors.New("export: chưa làm / not built yet")
}
