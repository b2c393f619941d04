// Package sleep waits without outliving a context: the one way the
// services pause between retries and polls.
package sleep

import (
	"context"
	"time"
)

// For waits for d, or until ctx ends, whichever is first. It returns
// ctx's error when ctx ended first (or had already), else nil; a d of
// zero or less does not wait.
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
