package service

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// localSupervisor runs services as plain processes of the test, in
// dir: the supervisor's logic without namespaces or root.
func localSupervisor(t *testing.T) *Supervisor {
	dir := t.TempDir()
	return &Supervisor{Dir: dir, Grace: 300 * time.Millisecond, Start: func(s Spec, log *os.File) (*exec.Cmd, error) {
		cmd := exec.Command("/bin/sh", "-c", s.Service.Command)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd, cmd.Start()
	}}
}

func spec(name, command, restart string) Spec {
	return Spec{Node: "n", Service: &topology.Service{Name: name, Command: command, Restart: restart}}
}

// waitState waits until the named service's state satisfies ok.
func waitState(t *testing.T, sv *Supervisor, name string, ok func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := ReadStatus(sv.Dir)
		if st != nil {
			for _, s := range st.Services {
				if s.Name == name && ok(s) {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state not reached: %+v", name, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSupervisorKeepsAndStops(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	// stubborn ignores SIGTERM: only the SIGKILL after the grace ends it.
	svcs := []Spec{spec("a", "sleep 100", "on-failure"), spec("stubborn", "trap '' TERM; sleep 100 & wait; sleep 100", "always")}
	if err := WriteDesired(sv.Dir, &Desired{Gen: 1, Services: svcs}); err != nil {
		t.Fatal(err)
	}
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	running := func(s State) bool { return s.State == StateRunning }
	a := waitState(t, sv, "a", running)
	b := waitState(t, sv, "stubborn", running)
	syscall.Kill(a.Pid, syscall.SIGKILL)
	a2 := waitState(t, sv, "a", func(s State) bool { return running(s) && s.Pid != a.Pid && s.Restarts == 1 })
	if *a2.Exit != 137 {
		t.Errorf("a's exit = %d, want 137", *a2.Exit)
	}
	// Editing a restarts a alone.
	svcs[0] = spec("a", "sleep 200", "on-failure")
	WriteDesired(sv.Dir, &Desired{Gen: 2, Services: svcs})
	if err := sv.Reconcile(); err != nil {
		t.Fatal(err)
	}
	if a3 := waitState(t, sv, "a", running); a3.Pid == a2.Pid {
		t.Errorf("the edited service was not restarted")
	}
	if b2 := waitState(t, sv, "stubborn", running); b2.Pid != b.Pid {
		t.Errorf("stubborn was restarted by an edit of a")
	}
	start := time.Now()
	sv.StopAll()
	if took := time.Since(start); took < sv.Grace {
		t.Errorf("stubborn stopped in %s, before its grace period: SIGTERM was not ignored?", took)
	}
	for _, pid := range []int{a2.Pid, b.Pid} {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("pid %d survived StopAll", pid)
		}
	}
}

func TestSupervisorBacksOff(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{spec("crash", "exit 3", "always")}})
	start := time.Now()
	sv.Reconcile()
	waitState(t, sv, "crash", func(s State) bool { return s.Restarts >= 2 })
	// Restarts after 0.5 s, then 1 s: not before 1.5 s in all.
	if took := time.Since(start); took < 3*minBackoff {
		t.Errorf("two restarts in %s: no backoff", took)
	}
	s := waitState(t, sv, "crash", func(s State) bool { return s.State == StateFailing })
	if s.Exit == nil || *s.Exit != 3 {
		t.Errorf("crash = %+v, want failing with exit 3", s)
	}
}

func TestSupervisorStartsAfter(t *testing.T) {
	sv := localSupervisor(t)
	defer sv.StopAll()
	// b comes after a; c after nothing. a's start blocks until told:
	// b must wait for it, c must not.
	gate := make(chan struct{})
	start := sv.Start
	sv.Start = func(s Spec, log *os.File) (*exec.Cmd, error) {
		if s.Service.Name == "a" {
			<-gate
		}
		return start(s, log)
	}
	b := spec("b", "sleep 100", "on-failure")
	b.Service.After = []string{"a"}
	WriteDesired(sv.Dir, &Desired{Gen: 1, Services: []Spec{spec("a", "sleep 100", "on-failure"), b, spec("c", "sleep 100", "on-failure")}})
	done := make(chan error, 1)
	go func() { done <- sv.Reconcile() }()
	waitState(t, sv, "c", func(s State) bool { return s.State == StateRunning })
	if st, _ := ReadStatus(sv.Dir); st != nil {
		for _, s := range st.Services {
			if s.Name == "b" && s.State != StateStarting {
				t.Errorf("b is %s before a started", s.State)
			}
		}
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitState(t, sv, "b", func(s State) bool { return s.State == StateRunning })
}
