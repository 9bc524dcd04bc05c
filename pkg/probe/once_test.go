package probe

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestOnceMap(t *testing.T) {
	var m onceMap[string, int]
	var runs atomic.Int32
	release, started := make(chan struct{}), make(chan struct{})
	slow := func() (int, error) {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return 7, nil
	}
	// Many callers of one key: one computation, one first caller, the
	// same value for all.
	var wg sync.WaitGroup
	var firsts atomic.Int32
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, first, err := m.do(context.Background(), "a", slow, nil)
			if v != 7 || err != nil {
				t.Errorf("do = %d, %v", v, err)
			}
			if first {
				firsts.Add(1)
			}
		}()
	}
	// A waiter whose context ends gets its error, not the value.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	<-started
	if _, first, err := m.do(ctx, "a", slow, nil); first || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter: first %v, err %v", first, err)
	}
	close(release)
	wg.Wait()
	if runs.Load() != 1 || firsts.Load() != 1 {
		t.Errorf("%d computations and %d first callers, want 1 and 1", runs.Load(), firsts.Load())
	}

	// A result keep rejects is computed again by the next caller.
	fail := errors.New("no verdict")
	n := 0
	keep := func(_ int, err error) bool { return err == nil }
	for range 2 {
		if _, first, err := m.do(context.Background(), "b", func() (int, error) { n++; return 0, fail }, keep); !first || err != fail {
			t.Errorf("rejected result: first %v, err %v", first, err)
		}
	}
	if n != 2 {
		t.Errorf("a rejected result was computed %d times by two callers, want 2", n)
	}

	if got := m.drain(); len(got) != 1 || got[0] != 7 {
		t.Errorf("drain = %v, want [7] (errors left out)", got)
	}
	if got := m.drain(); len(got) != 0 {
		t.Errorf("second drain = %v, want nothing", got)
	}
}
