package e2e

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
)

// Lab is one lab under test: a name no other test uses, a private
// state directory and a topology file in a temporary directory.
type Lab struct {
	// T is the test that failures go to.
	T *testing.T
	// Name is the lab's name: RunID, "-" and the test's tag.
	Name string
	// StateDir is the lab's TOPO_STATE_DIR.
	StateDir string
	// Dir is a temporary directory holding File.
	Dir string
	// File is the lab's topology file.
	File string
}

// NewLab prepares a lab named RunID-tag; body is a topology file
// without its name line ("" to write it later). It skips t unless
// NeedRoot lets it run. Cleanup takes the lab down and checks with Gone
// that nothing of it remains.
func NewLab(t *testing.T, tag, body string) *Lab {
	t.Helper()
	NeedRoot(t)
	l := &Lab{T: t, Name: runID + "-" + tag, StateDir: t.TempDir(), Dir: t.TempDir()}
	if len(l.Name) > 32 {
		t.Fatalf("lab name %q is longer than 32 characters", l.Name)
	}
	l.File = filepath.Join(l.Dir, "lab.yaml")
	if body != "" {
		l.Write(body)
	}
	t.Cleanup(func() {
		if r := l.Topo("down", l.Name); r.Code != 0 {
			t.Errorf("cleanup: %v", r)
		}
		l.Gone("cleanup")
	})
	return l
}

// In returns the lab as seen from a subtest: failures go to t.
func (l *Lab) In(t *testing.T) *Lab {
	c := *l
	c.T = t
	return &c
}

// Write replaces the lab's file with "name: LAB" followed by body.
func (l *Lab) Write(body string) {
	l.T.Helper()
	if err := os.WriteFile(l.File, []byte("name: "+l.Name+"\n"+body), 0o644); err != nil {
		l.T.Fatal(err)
	}
}

// WriteRenamed writes src's content with its name line replaced by the
// lab's name (lines keep their numbers) to a file in Dir named like
// src, and returns its path.
func (l *Lab) WriteRenamed(src string) string {
	l.T.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		l.T.Fatal(err)
	}
	out := nameLineRE.ReplaceAll(data, []byte("name: "+l.Name))
	path := filepath.Join(l.Dir, filepath.Base(src))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		l.T.Fatal(err)
	}
	return path
}

var nameLineRE = regexp.MustCompile(`(?m)^name:.*$`)

// Gen writes the lab's file from `topo gen ARGS...`.
func (l *Lab) Gen(args ...string) {
	l.T.Helper()
	r := l.Must(append([]string{"gen"}, args...)...)
	l.Write(regexp.MustCompile(`(?m)^name:.*\n`).ReplaceAllString(r.Stdout, ""))
}

// NS is the namespace name of one of the lab's nodes.
func (l *Lab) NS(node string) string { return l.Name + "-" + node }

// Topo runs topo with the lab's state directory.
func (l *Lab) Topo(args ...string) Result {
	l.T.Helper()
	return Run(l.T, l.StateDir, nil, args...)
}

// TopoIn runs topo with the lab's state directory and stdin.
func (l *Lab) TopoIn(stdin io.Reader, args ...string) Result {
	l.T.Helper()
	return Run(l.T, l.StateDir, stdin, args...)
}

// Must runs topo and fails the test unless it exits 0.
func (l *Lab) Must(args ...string) Result {
	l.T.Helper()
	r := l.Topo(args...)
	if r.Code != 0 {
		l.T.Fatalf("%v", r)
	}
	return r
}

// Up runs `topo up FILE` and returns the plan steps it printed.
func (l *Lab) Up() []string {
	l.T.Helper()
	return PlanSteps(l.Must("up", l.File).Stdout)
}

// Plan runs `topo plan FILE` and returns its steps.
func (l *Lab) Plan() []string {
	l.T.Helper()
	return PlanSteps(l.Must("plan", l.File).Stdout)
}

// Start runs topo with the lab's state directory in the background.
func (l *Lab) Start(args ...string) *Proc {
	l.T.Helper()
	return Start(l.T, l.StateDir, args...)
}

// Gone fails the test if anything of the lab remains: a namespace (in
// `ip netns list` or a file in /run/netns), the lab's state directory
// or anything in it. when says at which point of the test.
func (l *Lab) Gone(when string) {
	l.T.Helper()
	if left := NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
		l.T.Errorf("%s: ip netns list still shows %v", when, left)
	}
	if left := testns.NetnsFiles(l.Name + "-"); len(left) > 0 {
		l.T.Errorf("%s: /run/netns still holds %v", when, left)
	}
	dir := filepath.Join(l.StateDir, l.Name)
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		var names []string
		filepath.WalkDir(dir, func(path string, _ fs.DirEntry, _ error) error {
			names = append(names, path)
			return nil
		})
		l.T.Errorf("%s: the lab's state remains (%v): %v", when, err, names)
	}
}
