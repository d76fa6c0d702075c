package main

import (
	"context"
	"errors"
)

// runDoctor is `sohoa doctor` (issue #6: orphaned objects, stuck jobs, integrity).
func runDoctor(ctx context.Context, e *env, args []string) error {
	return errors.New("doctor: chưa làm / not built yet")
}
