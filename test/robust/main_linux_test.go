// Package robust holds the tests of what topo promises about never
// losing a lab: interrupted runs, drift, concurrency, ownership,
// hostile input, reboots. They drive the topo binary as a user would
// (internal/e2e), each test with a private state directory
// (TOPO_STATE_DIR) and lab names no other run shares.
package robust

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

func TestMain(m *testing.M) { e2e.Main(m, "rb") }

// labT is one lab under test (see e2e.Lab), with the checks of these
// tests as methods.
type labT struct{ *e2e.Lab }

// newLab prepares a lab named RunID-tag; body is a topology file
// without its name line ("" to write it later). Cleanup takes the lab
// down and checks that nothing of it remains.
func newLab(t *testing.T, tag, body string) *labT {
	t.Helper()
	return &labT{e2e.NewLab(t, tag, body)}
}

// in returns the lab as seen from a subtest: failures go to t.
func (l *labT) in(t *testing.T) *labT { return &labT{l.In(t)} }

// labStatus is the part of `topo status --json` these tests read.
type labStatus struct {
	Name  string   `json:"name"`
	State string   `json:"state"`
	Drift []string `json:"drift"`
	Error string   `json:"error"`
	Nodes []struct {
		Name    string `json:"name"`
		Present bool   `json:"present"`
	} `json:"nodes"`
}

// status runs `topo status LAB --json`.
func (l *labT) status() labStatus {
	l.T.Helper()
	r := l.Must("status", l.Name, "--json")
	var all []labStatus
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil {
		l.T.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	if len(all) != 1 || all[0].Name != l.Name {
		l.T.Fatalf("status --json: want exactly lab %s:\n%s", l.Name, r.Stdout)
	}
	return all[0]
}

// isComplete fails the test unless the lab is up as its file says:
// status "up" without drift, an empty plan, one namespace per node.
func (l *labT) isComplete(when string, nodes int) {
	l.T.Helper()
	if s := l.status(); s.State != "up" || len(s.Drift) > 0 {
		l.T.Errorf("%s: status %q, drift %v; want up, none", when, s.State, s.Drift)
	}
	if steps := l.Plan(); len(steps) > 0 {
		l.T.Errorf("%s: plan is not empty: %v", when, steps)
	}
	if got := testns.NetnsFiles(l.Name + "-"); len(got) != nodes {
		l.T.Errorf("%s: %d namespaces, want %d: %v", when, len(got), nodes, got)
	}
}

// addForeign makes a namespace topo did not make (ip netns add) and
// removes it at cleanup; it returns its inode.
func addForeign(t *testing.T, name string) uint64 {
	t.Helper()
	e2e.Sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return testns.Inode(t, name)
}

// ifindex is the index of an interface in a namespace.
func ifindex(t *testing.T, ns, iface string) int {
	t.Helper()
	var list []struct {
		Index int `json:"ifindex"`
	}
	if err := json.Unmarshal([]byte(e2e.Sh(t, "ip", "-j", "-n", ns, "link", "show", "dev", iface)), &list); err != nil || len(list) != 1 {
		t.Fatalf("ip -j -n %s link show dev %s: %v", ns, iface, err)
	}
	return list[0].Index
}
