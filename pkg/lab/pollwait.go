package lab

import (
	"context"
	"errors"
	"time"
)

// errWaitLimit says a wait ran out of time.
var errWaitLimit = errors.New("time limit reached")

// pollUntil calls done at once, then every poll, until it returns true
// (nil), limit passes (errWaitLimit), or ctx ends first (its error:
// an interrupted wait is no timeout).
func pollUntil(ctx context.Context, limit, poll time.Duration, done func() bool) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	return waitUntil(ctx, limit, t.C, done)
}

// waitUntil calls done at once, then each time wake fires, until it
// returns true (nil), limit passes (errWaitLimit), or ctx ends first
// (its error).
func waitUntil[T any](ctx context.Context, limit time.Duration, wake <-chan T, done func() bool) error {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if done() {
			return nil
		}
		select {
		case <-wctx.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			return errWaitLimit
		case <-wake:
		}
	}
}
