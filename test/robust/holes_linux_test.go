package robust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// TestRefusedLeavesNoState: an up refused for a foreign namespace, and
// link and impair on a lab that is not up, leave no directory for the
// lab in the state directory (`topo status` would otherwise find it).
func TestRefusedLeavesNoState(t *testing.T) {
	l := newLab(t, "nostate", e2e.PairBody)
	addForeign(t, l.NS("h1"))
	dir := filepath.Join(l.StateDir, l.Name)
	for _, args := range [][]string{
		{"up", l.File},
		{"link", "--lab", l.Name, "h1:eth0", "down"},
		{"impair", "--lab", l.Name, "h1:eth0", "--rate", "1mbit"},
	} {
		if r := l.Topo(args...); r.Code == 0 {
			t.Errorf("accepted:\n%v", r)
		}
		if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("topo %s left %s (%v)", args[0], dir, err)
			os.RemoveAll(dir)
		}
	}
}

// TestDownFileNotALab: `topo down -f` of a file that is no lab quotes
// at most the first line of it, not the file.
func TestDownFileNotALab(t *testing.T) {
	l := newLab(t, "passwd", "")
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skip(err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 3 {
		t.Skip("/etc/passwd is too short to tell")
	}
	r := l.Topo("down", "-f", "/etc/passwd")
	if r.Code == 0 {
		t.Fatalf("down -f /etc/passwd succeeded:\n%v", r)
	}
	first, _, _ := strings.Cut(lines[0], ":")
	if !strings.Contains(r.Stderr, "/etc/passwd:1:") || !strings.Contains(r.Stderr, `"`+first) {
		t.Errorf("down -f /etc/passwd does not point at line 1 and quote it:\n%v", r)
	}
	for _, line := range lines[1:] {
		if name, _, _ := strings.Cut(line, ":"); len(name) > 3 && strings.Contains(r.Stderr, name+":") {
			t.Errorf("down -f /etc/passwd quotes line %q:\n%v", line, r)
			break
		}
	}
}

// TestEmptyLabFlag: --lab "" is an error naming the flag, not the only
// lab that is up.
func TestEmptyLabFlag(t *testing.T) {
	l := newLab(t, "emptylab", e2e.PairBody)
	l.Up()
	for _, args := range [][]string{
		{"exec", "--lab", "", "h1", "--", "true"},
		{"link", "--lab", "", "h1:eth0", "down"},
		{"impair", "--lab", "", "h1:eth0", "--rate", "1mbit"},
		{"ping", "--lab", "", "h1", "h2", "-c", "1"},
		{"arp", "--lab", "", "h1", "10.77.1.2"},
	} {
		r := l.Topo(args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, `--lab "" names no lab`) {
			t.Errorf("topo %s --lab \"\": want a refusal naming --lab:\n%v", args[0], r)
		}
	}
	l.isComplete("after the commands with --lab \"\"", 2)
}

// TestRefusedFiles: a file with a second YAML document, or an interface
// name the kernel keeps, is refused at the line at fault before
// anything is built.
func TestRefusedFiles(t *testing.T) {
	l := newLab(t, "badfile", "")
	for _, tc := range []struct {
		desc, body, want string
		line             int
	}{
		{"a second document", e2e.PairBody + "---\nhosts: {h3: {}}\n", "second YAML document", 8},
		{"an interface named all", strings.Replace(e2e.PairBody, "h2:eth0", "h2:all", 1), `interface "all" on h2 is reserved by the kernel`, 6},
		{"an interface named default", strings.Replace(e2e.PairBody, "h1:eth0", "h1:default", 1), `interface "default" on h1 is reserved`, 6},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			l.Write(tc.body)
			r := l.Topo("up", l.File)
			at := l.File + ":" + strconv.Itoa(tc.line) + ":"
			if r.Code == 0 || !strings.Contains(r.Stderr, at) || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("want a refusal at %s saying %q:\n%v", at, tc.want, r)
			}
			if left := testns.NetnsFiles(l.Name + "-"); len(left) > 0 {
				t.Errorf("a refused file built %v", left)
			}
		})
	}
}

// TestFailedUpSaysWhereItStopped: an up that fails half-way prints the
// steps it did, then the error.
func TestFailedUpSaysWhereItStopped(t *testing.T) {
	l := newLab(t, "stopped", strings.Replace(e2e.PairBody, "  h2: {}\n", "  h2: {exec: [\"exit 3\"]}\n", 1))
	r := l.Topo("up", l.File)
	if r.Code == 0 {
		t.Fatalf("up with a failing exec command succeeded:\n%v", r)
	}
	want := "3 of 4 steps done before the error:\n"
	i := strings.Index(r.Stdout, want)
	if i < 0 {
		t.Fatalf("up does not say how far it got (%q):\n%v", want, r)
	}
	e2e.SameSteps(t, "steps done", e2e.PlanSteps(r.Stdout[i:]), []string{"+ node h1", "+ node h2", "+ link h1:eth0 <-> h2:eth0"})
	for _, w := range []string{`exec "exit 3" exited with status 3`, "partly built"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("the error does not say %q:\n%v", w, r)
		}
	}
	l.Must("down", l.Name)
}
