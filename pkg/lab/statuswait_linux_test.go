package lab

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/service"
)

// writeStatus replaces dir's status file as the supervisor does: a
// temporary file renamed into place.
func writeStatus(t *testing.T, dir string, gen int) {
	t.Helper()
	data, _ := json.Marshal(service.Status{Gen: gen})
	tmp := filepath.Join(dir, service.StatusFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, service.StatusFile)); err != nil {
		t.Fatal(err)
	}
}

// TestWaitStatusWakesOnWrite: a status renamed into place wakes the
// wait, which returns the one that satisfies it.
func TestWaitStatusWakesOnWrite(t *testing.T) {
	dir := t.TempDir()
	writeStatus(t, dir, 1)
	seen := make(chan int, 10)
	type result struct {
		st  *service.Status
		err error
	}
	res := make(chan result, 1)
	go func() {
		st, err := waitStatus(context.Background(), dir, 10*time.Second, func(st *service.Status) bool {
			select {
			case seen <- st.Gen:
			default:
			}
			return st.Gen >= 2
		})
		res <- result{st, err}
	}()
	if g := <-seen; g != 1 {
		t.Fatalf("first look saw gen %d, want 1", g)
	}
	writeStatus(t, dir, 2)
	r := <-res
	if r.err != nil || r.st == nil || r.st.Gen != 2 {
		t.Fatalf("waitStatus: %+v, %v; want gen 2", r.st, r.err)
	}
}

// TestWaitStatusDoesNotPoll: with nothing written, the status is read
// once, however long the wait (polling every 10 ms would read it about
// 20 times in 200 ms); the limit passing is errWaitLimit with that
// status; an interrupted wait returns the caller's error, not a timeout.
func TestWaitStatusDoesNotPoll(t *testing.T) {
	dir := t.TempDir()
	writeStatus(t, dir, 1)
	looks := 0
	never := func(*service.Status) bool { looks++; return false }
	st, err := waitStatus(context.Background(), dir, 200*time.Millisecond, never)
	if !errors.Is(err, errWaitLimit) || st == nil || st.Gen != 1 {
		t.Errorf("limit passed: %+v, %v; want gen 1 and errWaitLimit", st, err)
	}
	if looks != 1 {
		t.Errorf("the status was read %d times with nothing written; want once", looks)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := waitStatus(ctx, dir, time.Hour, never); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: %v, want context.Canceled", err)
	}
}
