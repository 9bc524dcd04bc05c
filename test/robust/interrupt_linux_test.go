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

	"golang.org/x/sys/unix"
)

// killLab is a 57-node lab (tree 2 7: 8 switches, 49 hosts) whose h1
// leaves a process running (`sleep MARK`), so that down has something
// to kill. It returns the lab and the process's argv.
func killLab(t *testing.T, tag string) (*labT, []string) {
	l := newLab(t, tag, "")
	l.gen("tree", "2", "7")
	mark := strconv.Itoa(100000 + os.Getpid()%100000)
	data, err := os.ReadFile(l.file)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(data), "  h1: {}\n", "  h1: {exec: [\"sleep "+mark+" >/dev/null 2>&1 &\"]}\n", 1)
	if body == string(data) {
		t.Fatalf("no h1 in the generated lab:\n%s", data)
	}
	if err := os.WriteFile(l.file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range processes("sleep", mark) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return l, []string{"sleep", mark}
}

const killLabNodes = 57

// fullBuild times one complete up of the lab, then takes it down: the
// delays of the interruptions are spread over that time.
func fullBuild(l *labT) time.Duration {
	l.t.Helper()
	start := time.Now()
	l.up()
	d := time.Since(start)
	l.must("down", l.name)
	l.isGone("down after the timed build")
	return d
}

// utsMounted fails the test unless every node has its hostname
// namespace (a mounted nsfs file in the lab's uts directory).
func (l *labT) utsMounted(when string, nodes int) {
	l.t.Helper()
	dir := filepath.Join(l.stateDir, l.name, "uts")
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.t.Errorf("%s: %v", when, err)
		return
	}
	if len(entries) != nodes {
		l.t.Errorf("%s: %d hostname namespaces in %s, want %d", when, len(entries), dir, nodes)
	}
	for _, e := range entries {
		var fs unix.Statfs_t
		if err := unix.Statfs(filepath.Join(dir, e.Name()), &fs); err != nil || fs.Type != unix.NSFS_MAGIC {
			l.t.Errorf("%s: hostname namespace of %s is not mounted (%v)", when, e.Name(), err)
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
		p := l.start("up", l.file)
		time.Sleep(delay)
		p.cmd.Process.Signal(syscall.SIGKILL)
		r := p.wait()
		when := "kill " + strconv.Itoa(i) + " after " + delay.Round(time.Millisecond).String()
		if r.code != -1 && r.code != 0 {
			t.Fatalf("%s: up failed before the kill:\n%v", when, r)
		}
		switch i % 3 {
		case 0:
			if r := l.topo("up", l.file); r.code != 0 {
				t.Fatalf("%s: up does not finish the lab:\n%v", when, r)
			}
			l.isComplete(when+", then up", killLabNodes)
			l.utsMounted(when+", then up", killLabNodes)
			if len(processes(sleeper...)) == 0 {
				t.Errorf("%s, then up: h1's exec command did not run", when)
			}
			fallthrough
		case 1:
			if r := l.topo("down", l.name); r.code != 0 {
				t.Fatalf("%s: down does not remove the lab:\n%v", when, r)
			}
			l.isGone(when + ", then down")
			if !eventually(func() bool { return len(processes(sleeper...)) == 0 }) {
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
	l.t.Helper()
	dir := filepath.Join(l.stateDir, l.name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		l.t.Fatal(err)
	}
	f, err := os.Open(dir)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		l.t.Fatal(err)
	}
	return func() { f.Close() }
}

// waitOutput waits (up to a bound) until a background topo has written
// want to its standard error.
func (p *proc) waitOutput(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.err.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("topo %v never said %q; stderr:\n%s", p.args, want, p.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
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
			var r result
			// The signal must come once topo listens for it and before
			// it is done: a held lock makes it wait (listening) until
			// released; a quarter of a full build later it is mid-way.
			// Should it have finished anyway, try again sooner.
			delay := full / 4
			for try := 0; try < 4; try++ {
				release := l.holdLock()
				p := l.start("up", l.file)
				p.waitOutput(t, "being changed by another topo")
				release()
				time.Sleep(delay)
				p.cmd.Process.Signal(sig)
				if r = p.wait(); r.code != 0 {
					break
				}
				t.Logf("up finished before the signal after %v; again sooner", delay)
				l.must("down", l.name)
				delay /= 4
			}
			if r.code != 1 {
				t.Fatalf("up interrupted by %v: want exit status 1:\n%v", sig, r)
			}
			for _, want := range []string{"interrupted", "topo up " + l.file, "topo down " + l.name} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("up interrupted by %v does not say %q:\n%v", sig, want, r)
				}
			}
			if sig == syscall.SIGINT {
				l.must("up", l.file)
				l.isComplete("up after "+sig.String(), killLabNodes)
				if len(processes(sleeper...)) == 0 {
					t.Errorf("up after %v: h1's exec command did not run", sig)
				}
			}
			l.must("down", l.name)
			l.isGone("down after " + sig.String())
		})
	}
}
