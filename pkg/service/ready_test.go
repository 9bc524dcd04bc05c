package service

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// TestSupervisorStartsAfterReady: b comes after a, which has ready:. b
// starts once a is ready, not once a started; Reconcile does not wait
// for that.
func TestSupervisorStartsAfterReady(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	var listening atomic.Bool
	var asked atomic.Value
	sv.Ready = func(node string, on *topology.Ready) bool {
		asked.Store(node + " " + on.String())
		return listening.Load()
	}
	a := spec("a", "sleep 100", "on-failure")
	a.Service.Ready = &topology.Ready{TCP: 8080}
	b := spec("b", "sleep 100", "on-failure")
	b.Service.After = []string{"a"}
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{a, b}})
	done := make(chan error, 1)
	go func() { done <- sv.Reconcile() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reconcile waits for a to be ready")
	}
	waitState(t, sv, "a", func(s State) bool { return s.State == StateRunning })
	// Several looks at a's socket, and b still waits.
	deadline := time.Now().Add(10 * time.Second)
	for range 3 {
		asked.Store("")
		for asked.Load() == "" {
			if time.Now().After(deadline) {
				t.Fatal("a's readiness is not looked at")
			}
			time.Sleep(readyPoll / 2)
		}
	}
	if got := asked.Load(); got != "n tcp/8080" {
		t.Errorf("asked whether %q is ready, want n tcp/8080", got)
	}
	if b := waitState(t, sv, "b", func(State) bool { return true }); b.State != StateStarting {
		t.Errorf("b is %s before a is ready", b.State)
	}
	listening.Store(true)
	waitState(t, sv, "b", func(s State) bool { return s.State == StateRunning })
}
