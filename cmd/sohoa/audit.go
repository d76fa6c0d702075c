package main

import (
	"context"
	"errors"
)

// runAudit is `sohoa audit verify|log` (issue #5: the hash-chained audit trail).
func runAudit(ctx context.Context, e *env, args []string) error {
	return errors.New("audit: chưa làm / not built yet")
}
