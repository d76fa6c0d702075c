package main

import (
	"context"
	"errors"
)

// runVerify is `sohoa verify` (issue #5: fixity of the stored objects).
func runVerify(ctx context.Context, e *env, args []string) error {
	return errors.New("verify: chưa làm / not built yet")
}
