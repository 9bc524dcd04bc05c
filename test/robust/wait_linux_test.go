package robust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/lab"
)

// lockAs takes the lab's lock in this process with lab.LockLab, as a
// topo command that does who would, and returns the lock.
func (l *labT) lockAs(who string) *lab.Lock {
	l.T.Helper()
	root := lab.Root
	lab.Root = l.StateDir
	defer func() { lab.Root = root }()
	lock, err := lab.LockLab(context.Background(), l.Name, who, nil)
	if err != nil {
		l.T.Fatal(err)
	}
	return lock
}

// TestWaitingUpStops: `topo up` of a lab another topo is changing says
// whom it waits for (command and pid) and how to stop; SIGINT or
// SIGTERM then ends it at once — while the lab is still held, so it
// cannot have waited for the holder — with a non-zero exit, "nothing
// changed", and indeed nothing built.
func TestWaitingUpStops(t *testing.T) {
	l := newLab(t, "waitstop", e2e.PairBody)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			l := l.in(t)
			lock := l.lockAs("topo test")
			defer lock.Unlock()
			p := l.Start("up", l.File)
			p.WaitOutput(t, fmt.Sprintf("lab %s is being changed by topo test, pid %d; waiting — Ctrl-C to stop\n", l.Name, os.Getpid()))
			if err := p.Cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan e2e.Result, 1)
			go func() { exited <- p.Wait() }()
			var r e2e.Result
			select {
			case r = <-exited:
			case <-time.After(time.Minute): // a guard against a hang only
				p.Cmd.Process.Kill()
				t.Fatalf("up still waits a minute after %v:\n%v", sig, <-exited)
			}
			if r.Code != 1 {
				t.Errorf("up stopped by %v while waiting: want exit status 1:\n%v", sig, r)
			}
			if want := fmt.Sprintf("topo: stopped waiting for lab %s; nothing changed\n", l.Name); !strings.HasSuffix(r.Stderr, want) {
				t.Errorf("up stopped by %v while waiting does not end with %q:\n%v", sig, want, r)
			}
			if left := testns.NetnsFiles(l.Name + "-"); len(left) > 0 {
				t.Errorf("up stopped by %v while waiting made namespaces %v", sig, left)
			}
			if _, err := os.Stat(filepath.Join(l.StateDir, l.Name, "state.json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("up stopped by %v while waiting: state.json: %v; want none", sig, err)
			}
		})
	}
}
