package lab

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPollUntil: a wait that runs out of time says so; one whose
// caller is interrupted (Ctrl-C) returns the caller's error, not a
// timeout, however long the limit.
func TestPollUntil(t *testing.T) {
	never := func() bool { return false }
	if err := pollUntil(context.Background(), 30*time.Millisecond, time.Millisecond, never); !errors.Is(err, errWaitLimit) {
		t.Errorf("limit passed: %v, want errWaitLimit", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := pollUntil(ctx, time.Hour, time.Millisecond, func() bool {
		if n++; n == 3 {
			cancel()
		}
		return false
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, errWaitLimit) {
		t.Errorf("interrupted: %v, want context.Canceled", err)
	}
	n = 0
	if err := pollUntil(context.Background(), time.Hour, time.Millisecond, func() bool { n++; return n == 3 }); err != nil || n != 3 {
		t.Errorf("done at the third look: %v after %d looks", err, n)
	}
}
