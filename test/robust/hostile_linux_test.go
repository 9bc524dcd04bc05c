package robust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// TestHostileArguments: command-line arguments that would become paths
// (a lab name or a node name with "/", "..", a NUL) are refused with a
// message naming the argument and saying what to write instead; nothing
// outside the state directory is touched, and the lab that is up stays
// as it was.
func TestHostileArguments(t *testing.T) {
	l := newLab(t, "hostile", e2e.PairBody)
	l.Up()
	// A directory where "../x" from the state directory points.
	sentinel := filepath.Join(l.StateDir, "..", "x")
	if err := os.MkdirAll(filepath.Join(sentinel, "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}
	labArg := []string{"is not a lab name", "lower-case letters, digits and '-'"}
	for _, tc := range []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"down", "../x"}, append(labArg, `"../x"`, "topo down -f ../x")},
		{[]string{"down", "/etc"}, append(labArg, `"/etc"`)},
		{[]string{"down", ".."}, append(labArg, `".."`)},
		{[]string{"down", l.Name + "/../x"}, labArg},
		{[]string{"status", "../x"}, append(labArg, `"../x"`, "topo status")},
		{[]string{"status", "x\x01y"}, labArg},
		{[]string{"exec", "--lab", "../x", "h1", "--", "true"}, append(labArg, `"../x"`)},
		{[]string{"exec", "--lab", "/", "h1", "--", "true"}, labArg},
		{[]string{"exec", "--lab", l.Name, "../x", "--", "true"}, []string{`has no node "../x"`, "nodes: h1, h2"}},
		{[]string{"exec", "--lab", l.Name, "h1/../h2", "--", "true"}, []string{`has no node "h1/../h2"`}},
		{[]string{"link", "--lab", "../x", "h1:eth0", "down"}, labArg},
		{[]string{"link", "--lab", l.Name, "../h1:eth0", "down"}, []string{"../h1:eth0"}},
		{[]string{"ping", "--lab", "../x", "h1", "h2"}, labArg},
		{[]string{"arp", "--lab", "../x", "h1", "10.77.1.2"}, labArg},
	} {
		r := l.Topo(tc.args...)
		noPanic(t, r)
		if r.Code == 0 {
			t.Errorf("accepted:\n%v", r)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("topo %q: stderr does not say %q:\n%v", tc.args, w, r)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(sentinel, "keep")); err != nil {
		t.Errorf("a command touched %s: %v", sentinel, err)
	}
	for n, inode := range inodes {
		if got := testns.Inode(t, l.NS(n)); got != inode {
			t.Errorf("namespace %s was replaced", l.NS(n))
		}
	}
	l.isComplete("after the hostile commands", 2)

	// A file whose lab name is a path: refused with file:line and a hint.
	bad := filepath.Join(l.Dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: ../x\nhosts: {h1: {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"up", "plan", "validate"} {
		r := l.Topo(cmd, bad)
		if r.Code == 0 || !strings.Contains(r.Stderr, bad+":1:") || !strings.Contains(r.Stderr, "hint:") {
			t.Errorf("%s of a file named ../x: want a problem at %s:1 with a hint:\n%v", cmd, bad, r)
		}
	}
	if _, err := os.Stat(filepath.Join(sentinel, "keep")); err != nil {
		t.Errorf("a command touched %s: %v", sentinel, err)
	}
}
