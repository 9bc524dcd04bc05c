package robust

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// TestOwnershipForeignNamespace: a namespace with a lab node's name
// that topo did not make is refused with a message naming it and
// saying what to do, and neither up nor down touches it.
func TestOwnershipForeignNamespace(t *testing.T) {
	l := newLab(t, "foreign", e2e.PairBody)
	foreign := l.NS("h1")
	inode := addForeign(t, foreign)
	r := l.Topo("up", l.File)
	if r.Code == 0 {
		t.Fatalf("up over a foreign namespace succeeded:\n%v", r)
	}
	for _, want := range []string{foreign, "not created by topo", "ip netns del " + foreign} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("up does not say %q:\n%v", want, r)
		}
	}
	if got := testns.Inode(t, foreign); got != inode {
		t.Errorf("up replaced namespace %s", foreign)
	}
	if left := testns.NetnsFiles(l.NS("h2")); len(left) > 0 {
		t.Errorf("a refused up built %v", left)
	}
	if r := l.Topo("down", l.Name); r.Code != 0 {
		t.Errorf("down after a refused up:\n%v", r)
	}
	if got := testns.Inode(t, foreign); got != inode {
		t.Errorf("down touched namespace %s", foreign)
	}
}

// TestDownAllLeavesForeign: `down --all` removes topo's labs and
// nothing else — not a namespace named like a node the lab does not
// have, not one named like a node of a lab that does not exist, not
// one that replaced a lab's namespace behind topo's back (down says it
// left that one alone, and still removes the rest of the lab).
func TestDownAllLeavesForeign(t *testing.T) {
	l := newLab(t, "all", e2e.PairBody)
	l.Up()
	e2e.Sh(t, "ip", "netns", "del", l.NS("h2"))
	foreign := map[string]uint64{}
	for _, name := range []string{l.NS("h2"), l.NS("h3"), e2e.RunID() + "-nolab-h1"} {
		foreign[name] = addForeign(t, name)
	}
	r := l.Topo("down", "--all")
	if r.Code != 0 {
		t.Fatalf("down --all:\n%v", r)
	}
	if !strings.Contains(r.Stderr, l.NS("h2")) || !strings.Contains(r.Stderr, "left alone") {
		t.Errorf("down --all does not say it left %s alone:\n%v", l.NS("h2"), r)
	}
	for name, inode := range foreign {
		if got := testns.Inode(t, name); got != inode {
			t.Errorf("down --all replaced or removed foreign namespace %s", name)
		}
	}
	if left := testns.NetnsFiles(l.NS("h1")); len(left) > 0 {
		t.Errorf("down --all left the lab's own namespace: %v", left)
	}
	if _, err := os.Stat(filepath.Join(l.StateDir, l.Name)); err == nil {
		t.Errorf("down --all left the lab's state")
	}
}

// TestStateFiles: the state directory is 0700, the state file and the
// namespace records 0600, and no temporary file is left behind.
func TestStateFiles(t *testing.T) {
	l := newLab(t, "modes", e2e.PairBody)
	l.Up()
	l.Write(strings.Replace(e2e.PairBody, "10.77.1.1/24", "10.77.1.11/24", 1))
	l.Up()
	dir := filepath.Join(l.StateDir, l.Name)
	for path, want := range map[string]os.FileMode{
		dir:                              os.ModeDir | 0o700,
		filepath.Join(dir, "state.json"): 0o600,
		filepath.Join(dir, "namespaces"): 0o600,
		filepath.Join(dir, "uts"):        os.ModeDir | 0o700,
		filepath.Join(dir, "hosts"):      0o644, // bind-mounted over /etc/hosts for topo exec
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}

// damagedStates are contents a state file must never be trusted with:
// none may make topo panic, and each is reported as damaged.
var damagedStates = []struct{ desc, content string }{
	{"garbage", "this is not json\n"},
	{"empty", ""},
	{"cut short", `{"version": 1, "lab": {"name": "LAB", "nodes": [{"name": "h1", "ki`},
	{"null", "null"},
	{"no lab", `{"version": 1}`},
	{"other version", `{"version": 99, "lab": {"name": "LAB"}}`},
	{"null node", `{"version": 1, "lab": {"name": "LAB", "nodes": [null]}}`},
	{"path as node", `{"version": 1, "lab": {"name": "LAB", "nodes": [{"name": "../../x", "kind": "host"}]}, "namespaces": {"../../x": 1}}`},
	{"dangling link", `{"version": 1, "lab": {"name": "LAB", "nodes": [{"name": "h1", "kind": "host"}], "links": [{"ends": [{"node": "h1", "interface": "eth0"}, {"node": "zz", "interface": "eth0"}]}]}}`},
	{"other lab", `{"version": 1, "lab": {"name": "otherlab", "nodes": []}}`},
}

// damage replaces the lab's state file with content ("LAB" becomes the
// lab's name).
func (l *labT) damage(content string) {
	l.T.Helper()
	path := filepath.Join(l.StateDir, l.Name, "state.json")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(content, "LAB", l.Name)), 0o600); err != nil {
		l.T.Fatal(err)
	}
}

// noPanic fails the test if a topo command crashed.
func noPanic(t *testing.T, r e2e.Result) {
	t.Helper()
	if strings.Contains(r.Stderr, "panic:") || strings.Contains(r.Stderr, "goroutine ") || r.Code == 2 {
		t.Fatalf("topo crashed:\n%v", r)
	}
}

// TestDamagedState damages the state file of a lab that is up in each
// of the ways in damagedStates: status reports the lab as "damaged" and
// says what to do; plan works; then, in turn, either up rebuilds the
// state (from the namespace records and the file) and the lab is
// complete again, with the same namespaces, or down removes exactly the
// lab's namespaces — one replaced behind topo's back stays.
func TestDamagedState(t *testing.T) {
	l := newLab(t, "damaged", e2e.PairBody)
	for i, tc := range damagedStates {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			l.Up()
			inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}
			l.damage(tc.content)

			s := l.status()
			if s.State != "damaged" || !strings.Contains(s.Error, "state.json") || !strings.Contains(s.Error, "topo down "+l.Name) || !strings.Contains(s.Error, "topo up") {
				t.Errorf("status --json of a damaged lab: state %q, error %q; want damaged, naming the file and what to do", s.State, s.Error)
			}
			r := l.Topo("status")
			noPanic(t, r)
			if r.Code != 0 || !strings.Contains(r.Stdout, l.Name+": damaged") {
				t.Errorf("status of a damaged lab:\n%v", r)
			}
			r = l.Topo("plan", l.File)
			noPanic(t, r)
			if r.Code != 0 {
				t.Errorf("plan of a damaged lab:\n%v", r)
			}
			if i%2 == 0 {
				r := l.Topo("up", l.File)
				noPanic(t, r)
				if r.Code != 0 || !strings.Contains(r.Stderr, "damaged") {
					t.Fatalf("up of a damaged lab: want success and a note:\n%v", r)
				}
				l.isComplete("up of a damaged lab", 2)
				for n, inode := range inodes {
					if got := testns.Inode(t, l.NS(n)); got != inode {
						t.Errorf("up of a damaged lab replaced namespace %s", l.NS(n))
					}
				}
				l.Must("down", l.Name)
			} else {
				e2e.Sh(t, "ip", "netns", "del", l.NS("h2"))
				foreign := addForeign(t, l.NS("h2"))
				r := l.Topo("down", l.Name)
				noPanic(t, r)
				if r.Code != 0 {
					t.Fatalf("down of a damaged lab:\n%v", r)
				}
				if got := testns.Inode(t, l.NS("h2")); got != foreign {
					t.Errorf("down of a damaged lab touched the foreign namespace %s", l.NS("h2"))
				}
				e2e.Sh(t, "ip", "netns", "del", l.NS("h2"))
			}
			l.Gone("after " + tc.desc)
		})
	}
}

// TestMissingState deletes the state file of a lab that is up: status
// reports the lab as damaged, up rebuilds the state from the namespace
// records and the file (same namespaces), and down removes the lab.
func TestMissingState(t *testing.T) {
	l := newLab(t, "missing", e2e.PairBody)
	state := filepath.Join(l.StateDir, l.Name, "state.json")
	for _, then := range []string{"up", "down"} {
		t.Run(then, func(t *testing.T) {
			l := l.in(t)
			l.Up()
			inode := testns.Inode(t, l.NS("h1"))
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
			if s := l.status(); s.State != "damaged" || !strings.Contains(s.Error, "missing") {
				t.Errorf("status without a state file: state %q, error %q; want damaged, missing", s.State, s.Error)
			}
			if then == "up" {
				l.Up()
				l.isComplete("up without a state file", 2)
				if got := testns.Inode(t, l.NS("h1")); got != inode {
					t.Errorf("up without a state file replaced namespace %s", l.NS("h1"))
				}
			}
			l.Must("down", l.Name)
			l.Gone("down")
		})
	}
}

// TestCommandsRefuseSwappedNamespace replaces a node's namespace by
// hand with one that looks like it (an eth0, up): every command that
// enters or changes a node refuses, with the very sentence status
// shows, and the foreign namespace is left as it was: no process ran
// in it, no qdisc, its eth0 still up.
func TestCommandsRefuseSwappedNamespace(t *testing.T) {
	l := newLab(t, "swapped", e2e.PairBody)
	l.Up()
	ns := l.NS("h2")
	e2e.Sh(t, "ip", "netns", "del", ns)
	foreign := addForeign(t, ns)
	e2e.Sh(t, "ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth9")
	e2e.Sh(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	e2e.Sh(t, "ip", "-n", ns, "link", "set", "eth9", "up")
	qdisc := e2e.Sh(t, "tc", "-n", ns, "qdisc", "show", "dev", "eth0")
	s := l.status()
	if s.State != "error" || !strings.Contains(s.Error, "not created by topo") {
		t.Fatalf("status of a lab with a swapped namespace: state %q, error %q", s.State, s.Error)
	}
	sentence := s.Error
	for _, args := range [][]string{
		{"exec", "--lab", l.Name, "h2", "--", "readlink", "/proc/self/ns/net"},
		{"impair", "--lab", l.Name, "h2:eth0", "--rate", "1mbit"},
		{"link", "--lab", l.Name, "h2:eth0", "down"},
		{"link", "--lab", l.Name, "h1:eth0", "down"},
		{"ping", "--lab", l.Name, "h2", "10.77.1.1", "-c", "1"},
		{"arp", "--lab", l.Name, "h2:eth0", "10.77.1.1"},
		{"check", l.Name},
		{"up", l.File},
	} {
		r := l.Topo(args...)
		noPanic(t, r)
		if r.Code == 0 || !strings.Contains(r.Stderr, sentence) {
			t.Errorf("topo %s: want a refusal saying %q:\n%v", args[0], sentence, r)
		}
		if strings.Contains(r.Stdout, fmt.Sprintf("net:[%d]", foreign)) {
			t.Errorf("topo %s ran a command in the foreign namespace:\n%v", args[0], r)
		}
	}
	if got := testns.Inode(t, ns); got != foreign {
		t.Fatalf("namespace %s was replaced", ns)
	}
	if got := e2e.Sh(t, "tc", "-n", ns, "qdisc", "show", "dev", "eth0"); got != qdisc {
		t.Errorf("the foreign eth0's qdiscs changed:\n%s\nwas\n%s", got, qdisc)
	}
	if state := e2e.Sh(t, "ip", "-n", ns, "-br", "link", "show", "dev", "eth0"); !strings.Contains(state, "UP") {
		t.Errorf("the foreign eth0 is no longer up: %s", state)
	}
	if in := inLab(map[uint64]string{foreign: ns}, nil); len(in) > 0 {
		t.Errorf("processes in the foreign namespace: %v", in)
	}
}
