package robust

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
	"golang.org/x/sys/unix"
)

// killLab is a 57-node lab (tree 2 7: 8 switches, 49 hosts) whose h1
// leaves a process running (`sleep MARK`), so that down has something
// to kill. It returns the lab and the process's argv.
func killLab(t *testing.T, tag string) (*labT, []string) {
	l := newLab(t, tag, "")
	l.Gen("tree", "2", "7")
	mark := strconv.Itoa(100000 + os.Getpid()%100000)
	data, err := os.ReadFile(l.File)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(data), "  h1: {}\n", "  h1: {exec: [\"sleep "+mark+" >/dev/null 2>&1 &\"]}\n", 1)
	if body == string(data) {
		t.Fatalf("no h1 in the generated lab:\n%s", data)
	}
	if err := os.WriteFile(l.File, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range e2e.Processes("sleep", mark) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return l, []string{"sleep", mark}
}

const killLabNodes = 57

// fullBuild times one complete up of the lab, then takes it down: the
// delays of the interruptions are spread over that time.
func fullBuild(l *labT) time.Duration {
	l.T.Helper()
	start := time.Now()
	l.Up()
	d := time.Since(start)
	l.Must("down", l.Name)
	l.Gone("down after the timed build")
	return d
}

// hostnamesWork fails the test unless the lab's uts directory holds
// only mounted namespaces, one at least for h1 (its exec command ran
// in it), and `topo exec` gives h1 and a node that never ran anything
// their own names as hostnames.
func (l *labT) hostnamesWork(when string) {
	l.T.Helper()
	dir := filepath.Join(l.StateDir, l.Name, "uts")
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.T.Errorf("%s: %v", when, err)
		return
	}
	found := false
	for _, e := range entries {
		found = found || e.Name() == "h1"
		var fs unix.Statfs_t
		if err := unix.Statfs(filepath.Join(dir, e.Name()), &fs); err != nil || fs.Type != unix.NSFS_MAGIC {
			l.T.Errorf("%s: hostname namespace of %s is not mounted (%v)", when, e.Name(), err)
		}
	}
	if !found {
		l.T.Errorf("%s: h1 ran its exec command but has no hostname namespace in %s", when, dir)
	}
	for _, n := range []string{"h1", "h49"} {
		if r := l.Topo("exec", "--lab", l.Name, n, "--", "hostname"); r.Code != 0 || strings.TrimSpace(r.Stdout) != n {
			l.T.Errorf("%s: hostname in %s:\n%v", when, n, r)
		}
	}
}

// TestInterruptedUpKill kills `topo up` of a 57-node lab with SIGKILL
// twenty times, at delays spread across a full build. After each kill
// one of three things follows, in turn: `up` finishes the lab (status
// up, plan empty, h1's exec ran) and `down` removes it; `down` removes
// the half-built lab; or the next kill lands on top of this one.
func TestInterruptedUpKill(t *testing.T) {
	l, sleeper := killLab(t, "kill")
	full := fullBuild(l)
	t.Logf("a full build takes %v", full)
	const kills = 20
	for i := 0; i < kills; i++ {
		// Slot i of twenty across the build, at a random point in it;
		// the last slots reach a little past the end.
		delay := time.Duration((float64(i) + rand.Float64()) / kills * 1.1 * float64(full))
		p := l.Start("up", l.File)
		time.Sleep(delay)
		p.Cmd.Process.Signal(syscall.SIGKILL)
		r := p.Wait()
		when := "kill " + strconv.Itoa(i) + " after " + delay.Round(time.Millisecond).String()
		if r.Code != -1 && r.Code != 0 {
			t.Fatalf("%s: up failed before the kill:\n%v", when, r)
		}
		switch i % 3 {
		case 0:
			if r := l.Topo("up", l.File); r.Code != 0 {
				t.Fatalf("%s: up does not finish the lab:\n%v", when, r)
			}
			l.isComplete(when+", then up", killLabNodes)
			l.hostnamesWork(when + ", then up")
			if len(e2e.Processes(sleeper...)) == 0 {
				t.Errorf("%s, then up: h1's exec command did not run", when)
			}
			fallthrough
		case 1:
			if r := l.Topo("down", l.Name); r.Code != 0 {
				t.Fatalf("%s: down does not remove the lab:\n%v", when, r)
			}
			l.Gone(when + ", then down")
			if !e2e.Eventually(func() bool { return len(e2e.Processes(sleeper...)) == 0 }) {
				t.Errorf("%s, then down: process %v still runs", when, sleeper)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// holdLock takes the lab's lock as topo does (flock on its state
// directory) and returns the function that releases it.
func (l *labT) holdLock() func() {
	l.T.Helper()
	dir := filepath.Join(l.StateDir, l.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		l.T.Fatal(err)
	}
	f, err := os.Open(dir)
	if err != nil {
		l.T.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		l.T.Fatal(err)
	}
	return func() { f.Close() }
}

// TestInterruptedUpSignal interrupts `topo up` with SIGINT and with
// SIGTERM in the middle of a build: topo stops, exits non-zero, says
// how to finish (`topo up FILE`) or remove (`topo down LAB`) the lab,
// and both work.
func TestInterruptedUpSignal(t *testing.T) {
	l, sleeper := killLab(t, "signal")
	full := fullBuild(l)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			l := l.in(t)
			var r e2e.Result
			// The signal must come once topo listens for it and before
			// it is done: a held lock makes it wait (listening) until
			// released; a quarter of a full build later it is mid-way.
			// Should it have finished anyway, try again sooner.
			delay := full / 4
			for try := 0; try < 4; try++ {
				release := l.holdLock()
				p := l.Start("up", l.File)
				p.WaitOutput(t, waitMsg)
				release()
				time.Sleep(delay)
				p.Cmd.Process.Signal(sig)
				if r = p.Wait(); r.Code != 0 {
					break
				}
				t.Logf("up finished before the signal after %v; again sooner", delay)
				l.Must("down", l.Name)
				delay /= 4
			}
			if r.Code != 1 {
				t.Fatalf("up interrupted by %v: want exit status 1:\n%v", sig, r)
			}
			for _, want := range []string{"interrupted", "topo up " + l.File, "topo down " + l.Name} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("up interrupted by %v does not say %q:\n%v", sig, want, r)
				}
			}
			if sig == syscall.SIGINT {
				l.Must("up", l.File)
				l.isComplete("up after "+sig.String(), killLabNodes)
				if len(e2e.Processes(sleeper...)) == 0 {
					t.Errorf("up after %v: h1's exec command did not run", sig)
				}
			}
			l.Must("down", l.Name)
			l.Gone("down after " + sig.String())
		})
	}
}
