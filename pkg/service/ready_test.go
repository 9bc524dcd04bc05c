package service

import (
	"sync"
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
			time.Sleep(ReadyPoll / 2)
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

// asks is a fake Ready that counts the looks at each port and answers
// from ready.
type asks struct {
	mu    sync.Mutex
	n     map[int]int
	ready map[int]bool
}

func newAsks(sv *Supervisor) *asks {
	a := &asks{n: map[int]int{}, ready: map[int]bool{}}
	sv.Ready = func(node string, on *topology.Ready) bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.n[on.Port()]++
		return a.ready[on.Port()]
	}
	return a
}

func (a *asks) count(port int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[port]
}

func (a *asks) set(port int, ready bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ready[port] = ready
}

// waitAsks waits until port was looked at n times more than before.
func (a *asks) waitAsks(t *testing.T, port, n int) {
	t.Helper()
	a.waitTotal(t, port, a.count(port)+n)
}

// waitTotal waits until port was looked at want times in all.
func (a *asks) waitTotal(t *testing.T, port, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.count(port) < want {
		if time.Now().After(deadline) {
			t.Fatalf("port %d looked at %d times, want %d", port, a.count(port), want)
		}
		time.Sleep(ReadyPoll / 4)
	}
}

func withReady(s Spec, port int) Spec {
	s.Service.Ready = &topology.Ready{TCP: port}
	return s
}

func after(s Spec, names ...string) Spec {
	s.Service.After = names
	return s
}

func stateOf(t *testing.T, sv *Supervisor, name string) string {
	t.Helper()
	return waitState(t, sv, name, func(State) bool { return true }).State
}

// TestSupervisorFollowsReplacedDependency: b comes after a, which has
// ready: and is not ready. An edit of a replaces it; b, unchanged,
// waits for the new a to be ready, not merely for the old one to stop.
// Then a goes from the file while b stays: b still does not start.
func TestSupervisorFollowsReplacedDependency(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	asks := newAsks(sv)
	a, b := withReady(spec("a", "sleep 100", "on-failure"), 8080), after(spec("b", "sleep 100", "on-failure"), "a")
	// c and d: a clock, looked at while b must not start.
	c, d := withReady(spec("c", "sleep 100", "on-failure"), 9090), after(spec("d", "sleep 100", "on-failure"), "c")
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{a, b, c, d}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	old := waitState(t, sv, "a", func(s State) bool { return s.State == StateRunning })
	asks.waitTotal(t, 8080, 1)

	a = withReady(spec("a", "sleep 200", "on-failure"), 8080)
	WriteDesired(sv.Dir, &Desired{Gen: 2, Services: []Spec{a, b, c, d}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sv, "a", func(s State) bool { return s.State == StateRunning && s.Pid != old.Pid })
	asks.waitAsks(t, 8080, 3)
	asks.waitAsks(t, 9090, 3)
	if st := stateOf(t, sv, "b"); st != StateStarting {
		t.Fatalf("b is %s once a was replaced, before the new a is ready", st)
	}

	WriteDesired(sv.Dir, &Desired{Gen: 3, Services: []Spec{b, c, d}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	asks.waitAsks(t, 9090, 3)
	if st := stateOf(t, sv, "b"); st != StateStarting {
		t.Fatalf("b is %s once a was stopped", st)
	}
	// a back, ready at once: b starts.
	asks.set(8080, true)
	WriteDesired(sv.Dir, &Desired{Gen: 4, Services: []Spec{a, b, c, d}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	waitState(t, sv, "b", func(s State) bool { return s.State == StateRunning })
}

// TestSupervisorReadyBacksOff: a service with ready: that nobody comes
// after is never looked at; one that another waits for is looked at
// less and less often, from every ReadyPoll to every maxReadyPoll.
func TestSupervisorReadyBacksOff(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	asks := newAsks(sv)
	alone := withReady(spec("alone", "sleep 100", "on-failure"), 1)
	a, b := withReady(spec("a", "sleep 100", "on-failure"), 2), after(spec("b", "sleep 100", "on-failure"), "a")
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{alone, a, b}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	asks.waitTotal(t, 2, 1)
	start := time.Now()
	asks.waitAsks(t, 2, 6)
	// Six more looks after the first: 20+40+80+160+320+640 ms at least.
	if took, least := time.Since(start), 63*ReadyPoll; took < least {
		t.Errorf("a looked at 6 times in %s, want %s at least: no back-off", took, least)
	}
	if n := asks.count(1); n != 0 {
		t.Errorf("alone, which nobody waits for, was looked at %d times", n)
	}
}

// TestSupervisorStopsWatchingExited: a service with ready: that exited
// and will not be restarted is looked at no more; the one after it
// keeps waiting.
func TestSupervisorStopsWatchingExited(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	asks := newAsks(sv)
	a, b := withReady(spec("a", "exit 1", "never"), 3), after(spec("b", "sleep 100", "on-failure"), "a")
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{a, b}})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	asks.waitTotal(t, 3, 1)
	waitState(t, sv, "a", func(s State) bool { return s.State == StateExited })
	deadline := time.Now().Add(10 * time.Second)
	for {
		sv.mu.Lock()
		n := sv.watching
		sv.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d watches left after a exited for good", n)
		}
		time.Sleep(ReadyPoll / 4)
	}
	if st := stateOf(t, sv, "b"); st != StateStarting {
		t.Errorf("b is %s, after a that never was ready", st)
	}
}
