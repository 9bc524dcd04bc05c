package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is the outcome of one topo command.
type Result struct {
	// Args are topo's arguments.
	Args []string
	// Stdout and Stderr are what topo wrote.
	Stdout, Stderr string
	// Code is the exit code: -1 when a signal killed topo.
	Code int
}

// String shows the command, its exit code and its output, for failure
// messages.
func (r Result) String() string {
	return fmt.Sprintf("topo %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// Run runs topo with the state directory stateDir and stdin (nil for
// none) and waits for it; it fails t when topo cannot be started.
func Run(t testing.TB, stateDir string, stdin io.Reader, args ...string) Result {
	t.Helper()
	cmd := command(stateDir, args)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Args: args, Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run topo %v: %v", args, err)
	}
	return r
}

// command is topo with args and the state directory stateDir.
func command(stateDir string, args []string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+stateDir)
	return cmd
}

// Proc is a topo command running in the background.
type Proc struct {
	// Args are topo's arguments.
	Args []string
	// Cmd is the running command, to signal it.
	Cmd      *exec.Cmd
	out, err SyncBuffer
}

// Start runs topo with the state directory stateDir in the background;
// wait for it with (*Proc).Wait.
func Start(t testing.TB, stateDir string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Args: args, Cmd: command(stateDir, args)}
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.err
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start topo %v: %v", args, err)
	}
	return p
}

// Wait waits for the command and returns its result; Code is -1 when a
// signal killed it.
func (p *Proc) Wait() Result {
	err := p.Cmd.Wait()
	r := Result{Args: p.Args, Stdout: p.out.String(), Stderr: p.err.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		r.Code, r.Stderr = -2, r.Stderr+err.Error()
	}
	return r
}

// WaitOutput waits (up to a bound) until the command has written want
// to its standard error, and fails t if it never does.
func (p *Proc) WaitOutput(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.err.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("topo %v never said %q; stderr:\n%s", p.Args, want, p.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FirstLine waits (up to a bound) until the command has written a
// whole line to its standard output, and returns it; it fails t if the
// command never does.
func (p *Proc) FirstLine(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out := p.out.String(); strings.Contains(out, "\n") {
			return strings.SplitN(out, "\n", 2)[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("topo %v printed no line; stderr:\n%s", p.Args, p.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SyncBuffer is a bytes.Buffer safe to read while a process writes it;
// the zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
