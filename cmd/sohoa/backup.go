package main

import (
	"context"
	"errors"
)

// runBackup is `sohoa backup` (issue #6: an online copy of the catalog to the object store).
func runBackup(ctx context.Context, e *env, args []string) error {
	return errors.New("backup: chưa làm / not built yet")
}

// runRestore is `sohoa restore` (issue #6).
func runRestore(ctx context.Context, e *env, args []string) error {
	return errors.New("restore: chưa làm / not built yet")
}
