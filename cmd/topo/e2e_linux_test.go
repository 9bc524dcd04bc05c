package main

// End-to-end tests: the topo binary run as a user runs it, against the
// real kernel. Each test has its own state directory (TOPO_STATE_DIR)
// and lab names starting with this run's id; cleanup takes the lab down.
// Packets only ever travel between the test's own namespaces.

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// stateDirEmpty fails the test when topo left anything in its state
// directory.
func stateDirEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state directory %s is not empty: %v", dir, names)
	}
}

func TestE2EUpBuilds(t *testing.T) {
	l := newLab(t, "build", `switches:
  s1: {}
hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
  - endpoints: [h1:eth1, s1]
    addresses: [10.77.5.1/24]
  - endpoints: [h2:eth1, s1]
    addresses: [10.77.5.2/24]
`)
	before := e2e.RootLinks(t)
	l.Up()
	if added := e2e.AddedRootLinks(t, before); len(added) > 0 {
		t.Errorf("up made links in the root namespace: %v", added)
	}
	have := map[string]bool{}
	for _, n := range e2e.Namespaces() {
		have[n] = true
	}
	for _, n := range []string{"h1", "h2", "s1"} {
		if !have[l.NS(n)] {
			t.Fatalf("ip netns list has no %s: %v", l.NS(n), e2e.Namespaces())
		}
		if lo := ifaces(t, l.NS(n))["lo"]; !lo.up() {
			t.Errorf("%s: lo is not up: %+v", n, lo)
		}
	}
	want := map[string]map[string]string{
		"h1": {"eth0": "10.77.1.1/24", "eth1": "10.77.5.1/24"},
		"h2": {"eth0": "10.77.1.2/24", "eth1": "10.77.5.2/24"},
	}
	for n, ifs := range want {
		br := brAddr(t, l.NS(n))
		for name, addr := range ifs {
			line, ok := br[name]
			if !ok {
				t.Errorf("%s has no %s: %v", l.NS(n), name, br)
				continue
			}
			if !strings.Contains(line, " "+addr+" ") && !strings.HasSuffix(line, " "+addr) {
				t.Errorf("%s %s: ip -br addr says %q, want %s", l.NS(n), name, line, addr)
			}
			if !strings.HasPrefix(line, "UP ") {
				t.Errorf("%s %s: not up: %q", l.NS(n), name, line)
			}
		}
	}
	// The switch holds a bridge with the two host links as its ports.
	if ports := strings.Count(e2e.Sh(t, "ip", "-d", "-n", l.NS("s1"), "link"), "bridge_slave"); ports != 2 {
		t.Errorf("switch s1 has %d bridge ports, want 2:\n%s", ports, e2e.Sh(t, "ip", "-d", "-n", l.NS("s1"), "link"))
	}
	r := l.Topo("exec", "--lab", l.Name, "h1", "--", "ping", "-c1", "-W2", "10.77.5.2")
	if r.Code != 0 {
		t.Errorf("h1 does not reach h2 through switch s1: %v", r)
	}
}

func TestE2EReupIsIdempotent(t *testing.T) {
	l := newLab(t, "reup", e2e.PairBody)
	l.Up()
	inode := testns.Inode(t, l.NS("h1"))
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "up to date, nothing to change") {
		t.Errorf("second up: want \"up to date, nothing to change\":\n%v", r)
	}
	if steps := e2e.PlanSteps(r.Stdout); len(steps) > 0 {
		t.Errorf("second up applied steps: %v", steps)
	}
	r = l.Must("plan", l.File)
	if !strings.Contains(r.Stdout, "nothing to change") || len(e2e.PlanSteps(r.Stdout)) > 0 {
		t.Errorf("plan after up: want nothing to change:\n%v", r)
	}
	if got := testns.Inode(t, l.NS("h1")); got != inode {
		t.Errorf("re-up replaced namespace %s (inode %d -> %d)", l.NS("h1"), inode, got)
	}
}

func TestE2EIncremental(t *testing.T) {
	l := newLab(t, "incr", e2e.PairBody)
	l.Up()
	inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}
	sleepers := map[string]sleeper{"h1": l.startSleeper("h1"), "h2": l.startSleeper("h2")}
	unchanged := func(when string) {
		t.Helper()
		for n, ino := range inodes {
			if got := testns.Inode(t, l.NS(n)); got != ino {
				t.Errorf("%s: namespace %s was replaced (inode %d -> %d)", when, l.NS(n), ino, got)
			}
			got, alive := sleepers[n].netns()
			if !alive {
				t.Errorf("%s: the process started in %s (pid %d) is gone", when, n, sleepers[n].pid)
			} else if got != ino {
				t.Errorf("%s: the process started in %s is in namespace %d, want %d", when, n, got, ino)
			}
		}
		if a := brAddr(t, l.NS("h1"))["eth0"]; !strings.Contains(a, "10.77.1.1/24") {
			t.Errorf("%s: h1 eth0 lost its address: %q", when, a)
		}
	}

	// A new host h3 and a link from h2 to it.
	l.Write(strings.Replace(e2e.PairBody, "  h2: {}\n", "  h2: {}\n  h3: {}\n", 1) + `  - endpoints: [h2:eth1, h3:eth0]
    addresses: [10.77.2.1/24, 10.77.2.2/24]
`)
	planned := e2e.PlanSteps(l.Must("plan", l.File).Stdout)
	steps := l.Up()
	e2e.SameSteps(t, "plan of the addition", planned, []string{"+ node h3", "+ link h2:eth1 <-> h3:eth0"})
	e2e.SameSteps(t, "up of the addition", steps, []string{"+ node h3", "+ link h2:eth1 <-> h3:eth0"})
	unchanged("after adding h3")
	if a := brAddr(t, l.NS("h3"))["eth0"]; !strings.Contains(a, "10.77.2.2/24") {
		t.Errorf("h3 eth0: %q, want 10.77.2.2/24", a)
	}
	if a := brAddr(t, l.NS("h2"))["eth1"]; !strings.Contains(a, "10.77.2.1/24") {
		t.Errorf("h2 eth1: %q, want 10.77.2.1/24", a)
	}
	if r := l.Topo("exec", "--lab", l.Name, "h3", "--", "ping", "-c1", "-W2", "10.77.2.1"); r.Code != 0 {
		t.Errorf("new h3 does not reach h2: %v", r)
	}

	l.Write(e2e.PairBody)
	steps = l.Up()
	if !contains(steps, "- node h3") {
		t.Errorf("removal: no \"- node h3\" step in %v", steps)
	}
	for _, s := range steps {
		if !strings.Contains(s, "h3") {
			t.Errorf("removal touched more than h3 and its link: %q", s)
		}
	}
	unchanged("after removing h3")
	if left := e2e.NamespacesWithPrefix(l.NS("h3")); len(left) > 0 {
		t.Errorf("namespace of removed h3 remains: %v", left)
	}
	if _, ok := brAddr(t, l.NS("h2"))["eth1"]; ok {
		t.Errorf("h2 still has eth1 after its link was removed")
	}
	if r := l.Must("plan", l.File); len(e2e.PlanSteps(r.Stdout)) > 0 {
		t.Errorf("plan after removal is not empty:\n%v", r)
	}
}

// TestE2ERemoveNodesWithSurvivors removes nodes linked to nodes that
// stay — a router between three hosts, a switch with two hosts, a
// host of a pair — and checks that when up returns the survivors hold
// no end of a removed link and the plan is empty: the kernel frees a
// deleted namespace (and the veth ends it held elsewhere) later, in its
// own cleanup, so up must delete those links itself.
func TestE2ERemoveNodesWithSurvivors(t *testing.T) {
	const full = `hosts:
  h1: {}
  h2: {}
  h3: {}
  r1: {forward: true}
  h4: {}
  h5: {}
switches:
  s1: {}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
  - endpoints: [h2:eth0, r1:eth1]
    addresses: [10.77.2.1/24, 10.77.2.2/24]
  - endpoints: [h3:eth0, r1:eth2]
    addresses: [10.77.3.1/24, 10.77.3.2/24]
  - endpoints: [h4:eth0, s1]
    addresses: [10.77.4.1/24]
  - endpoints: [h5:eth0, s1]
    addresses: [10.77.4.2/24]
  - endpoints: [h1:eth1, h2:eth1]
    addresses: [10.77.5.1/24, 10.77.5.2/24]
`
	const less = `hosts:
  h1: {}
  h3: {}
  h4: {}
  h5: {}
links: []
`
	l := newLab(t, "survivors", full)
	l.Up()
	l.Write(less)
	steps := l.Up()
	for _, want := range []string{"- node r1", "- node h2", "- node s1", "- link h1:eth0 <-> r1:eth0", "- link h3:eth0 <-> r1:eth2", "- link h4:eth0 <-> s1:h4-eth0", "- link h1:eth1 <-> h2:eth1"} {
		if !contains(steps, want) {
			t.Errorf("up of the smaller lab: no %q in %v", want, steps)
		}
	}
	for _, n := range []string{"h1", "h3", "h4", "h5"} {
		left := brAddr(t, l.NS(n))
		delete(left, "lo")
		if len(left) > 0 {
			t.Errorf("%s still has interfaces when up returned: %v", n, left)
		}
	}
	if r := l.Must("plan", l.File); len(e2e.PlanSteps(r.Stdout)) > 0 {
		t.Errorf("plan right after up is not empty:\n%v", r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sysctl reads a sysctl inside a namespace.
func sysctl(t *testing.T, ns, key string) string {
	t.Helper()
	return strings.TrimSpace(e2e.Sh(t, "ip", "netns", "exec", ns, "sysctl", "-n", key))
}

func TestE2EInPlaceChanges(t *testing.T) {
	l := newLab(t, "inplace", e2e.PairBody)
	l.Up()
	inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}

	h1 := func(extra string) string { // e2e.PairBody with h1's body replaced
		return strings.Replace(e2e.PairBody, "  h1: {}\n", "  h1:\n"+extra, 1)
	}
	for _, tc := range []struct {
		desc  string
		body  string
		steps []string
		check func(t *testing.T)
	}{{
		desc:  "address",
		body:  strings.Replace(e2e.PairBody, "10.77.1.1/24", "10.77.1.11/24", 1),
		steps: []string{"- h1:eth0 address 10.77.1.1/24", "+ h1:eth0 address 10.77.1.11/24"},
		check: func(t *testing.T) {
			if got := ifaces(t, l.NS("h1"))["eth0"].addrs(); strings.Join(got, " ") != "10.77.1.11/24" {
				t.Errorf("h1 eth0 addresses %v, want [10.77.1.11/24]", got)
			}
		},
	}, {
		desc:  "mtu",
		body:  e2e.PairBody + "    mtu: 1400\n",
		steps: []string{"~ h1:eth0 mtu 1400", "~ h2:eth0 mtu 1400"},
		check: func(t *testing.T) {
			for _, n := range []string{"h1", "h2"} {
				if got := ifaces(t, l.NS(n))["eth0"].MTU; got != 1400 {
					t.Errorf("%s eth0 mtu %d, want 1400", n, got)
				}
			}
		},
	}, {
		desc: "mac",
		body: strings.Replace(e2e.PairBody, "[h1:eth0, h2:eth0]\n    addresses: [10.77.1.1/24, 10.77.1.2/24]",
			"\n      - {node: h1, interface: eth0, addresses: [10.77.1.1/24], mac: \"02:00:00:77:01:01\"}\n      - {node: h2, interface: eth0, addresses: [10.77.1.2/24]}", 1),
		steps: []string{"~ h1:eth0 mac 02:00:00:77:01:01"},
		check: func(t *testing.T) {
			if got := ifaces(t, l.NS("h1"))["eth0"].MAC; got != "02:00:00:77:01:01" {
				t.Errorf("h1 eth0 mac %s, want 02:00:00:77:01:01", got)
			}
		},
	}, {
		desc:  "route",
		body:  h1("    routes:\n      - {to: 10.99.0.0/16, via: 10.77.1.2}\n"),
		steps: []string{"+ h1 route 10.99.0.0/16 via 10.77.1.2"},
		check: func(t *testing.T) {
			if got := e2e.Sh(t, "ip", "-n", l.NS("h1"), "route", "show", "10.99.0.0/16"); !strings.Contains(got, "via 10.77.1.2") {
				t.Errorf("h1 route 10.99.0.0/16: %q, want via 10.77.1.2", got)
			}
		},
	}, {
		desc:  "sysctl",
		body:  h1("    sysctls: {net.ipv4.icmp_echo_ignore_all: \"1\"}\n"),
		steps: []string{"~ h1 sysctl net.ipv4.icmp_echo_ignore_all = 1"},
		check: func(t *testing.T) {
			if got := sysctl(t, l.NS("h1"), "net.ipv4.icmp_echo_ignore_all"); got != "1" {
				t.Errorf("h1 net.ipv4.icmp_echo_ignore_all = %s, want 1", got)
			}
		},
	}, {
		desc:  "forward true",
		body:  h1("    forward: true\n"),
		steps: []string{"~ h1 sysctl net.ipv4.ip_forward = 1", "~ h1 sysctl net.ipv6.conf.all.forwarding = 1"},
		check: func(t *testing.T) {
			if got := sysctl(t, l.NS("h1"), "net.ipv4.ip_forward"); got != "1" {
				t.Errorf("h1 net.ipv4.ip_forward = %s, want 1", got)
			}
			if got := sysctl(t, l.NS("h1"), "net.ipv6.conf.all.forwarding"); got != "1" {
				t.Errorf("h1 net.ipv6.conf.all.forwarding = %s, want 1", got)
			}
		},
	}, {
		desc:  "forward false",
		body:  h1("    forward: false\n"),
		steps: []string{"~ h1 sysctl net.ipv4.ip_forward = 0", "~ h1 sysctl net.ipv6.conf.all.forwarding = 0"},
		check: func(t *testing.T) {
			if got := sysctl(t, l.NS("h1"), "net.ipv4.ip_forward"); got != "0" {
				t.Errorf("h1 net.ipv4.ip_forward = %s, want 0", got)
			}
		},
	}, {
		desc:  "state down",
		body:  e2e.PairBody + "    state: down\n",
		steps: []string{"~ h1:eth0 down", "~ h2:eth0 down"},
		check: func(t *testing.T) {
			for _, n := range []string{"h1", "h2"} {
				if i := ifaces(t, l.NS(n))["eth0"]; i.up() {
					t.Errorf("%s eth0 is up (%v), want down", n, i.Flags)
				}
			}
		},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			l.Write(tc.body)
			e2e.SameSteps(t, "plan", e2e.PlanSteps(l.Must("plan", l.File).Stdout), tc.steps)
			e2e.SameSteps(t, "up", l.Up(), tc.steps)
			tc.check(t)
			for n, ino := range inodes {
				if got := testns.Inode(t, l.NS(n)); got != ino {
					t.Errorf("namespace %s was replaced (inode %d -> %d)", l.NS(n), ino, got)
				}
			}
			if r := l.Must("plan", l.File); len(e2e.PlanSteps(r.Stdout)) > 0 {
				t.Errorf("plan after up is not empty:\n%v", r)
			}
		})
		// "forward false" follows "forward true": keep h1 forwarding so
		// the next case has something to turn off.
		if tc.desc != "forward true" {
			l.Write(e2e.PairBody)
			l.Up()
		}
	}
}

func TestE2EExec(t *testing.T) {
	l := newLab(t, "exec", e2e.PairBody)
	l.Up()
	if r := l.Must("exec", "h1", "--", "hostname"); strings.TrimSpace(r.Stdout) != "h1" {
		t.Errorf("hostname in h1: %q", r.Stdout)
	}
	if r := l.Must("exec", "--lab", l.Name, "h2", "--", "hostname"); strings.TrimSpace(r.Stdout) != "h2" {
		t.Errorf("hostname in h2: %q", r.Stdout)
	}
	r := l.Topo("exec", "h1", "--", "ping", "-c1", "-W2", "h2")
	if r.Code != 0 {
		t.Errorf("ping h2 from h1: %v", r)
	} else if !strings.Contains(r.Stdout, "10.77.1.2") {
		t.Errorf("h2 did not resolve to 10.77.1.2:\n%v", r)
	}
	if r := l.Topo("exec", "h1", "--", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Errorf("exit status: %v, want 3", r)
	}
	if r := l.TopoIn(strings.NewReader("hi\n"), "exec", "h1", "--", "cat"); r.Code != 0 || r.Stdout != "hi\n" {
		t.Errorf("stdin through exec: %v, want stdout \"hi\\n\"", r)
	}
}

func TestE2EStatusAndDrift(t *testing.T) {
	l := newLab(t, "status", strings.Replace(e2e.PairBody, "[h1:eth0, h2:eth0]\n    addresses: [10.77.1.1/24, 10.77.1.2/24]",
		"\n      - {node: h1, interface: eth0, addresses: [10.77.1.1/24], mac: \"02:00:00:77:02:01\"}\n      - {node: h2, interface: eth0, addresses: [10.77.1.2/24]}\n    mtu: 1450", 1))
	l.Up()
	status := func() *lab.LabStatus {
		t.Helper()
		r := l.Must("status", "--json")
		var all []*lab.LabStatus
		if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil {
			t.Fatalf("status --json: %v\n%s", err, r.Stdout)
		}
		if len(all) != 1 || all[0].Name != l.Name {
			t.Fatalf("status --json: want exactly lab %s:\n%s", l.Name, r.Stdout)
		}
		return all[0]
	}
	s := status()
	if s.State != "up" || len(s.Drift) > 0 {
		t.Errorf("status: state %q, drift %v; want up, none", s.State, s.Drift)
	}
	want := map[string]string{"h1": "10.77.1.1/24", "h2": "10.77.1.2/24"}
	for _, n := range s.Nodes {
		if !n.Present || n.Namespace != l.NS(n.Name) {
			t.Errorf("node %s: present %v, namespace %s", n.Name, n.Present, n.Namespace)
		}
		var eth0 *lab.IfaceStatus
		for _, i := range n.Ifaces {
			if i.Name == "eth0" {
				eth0 = i
			}
		}
		if eth0 == nil {
			t.Errorf("node %s: no eth0 in status", n.Name)
			continue
		}
		if !contains(eth0.Addresses, want[n.Name]) || eth0.MTU != 1450 || eth0.State != "up" {
			t.Errorf("node %s eth0: %+v; want address %s, mtu 1450, state up", n.Name, eth0, want[n.Name])
		}
		if kernel := ifaces(t, l.NS(n.Name))["eth0"].MAC; eth0.MAC != kernel {
			t.Errorf("node %s eth0: status mac %s, kernel %s", n.Name, eth0.MAC, kernel)
		}
		if n.Name == "h1" && eth0.MAC != "02:00:00:77:02:01" {
			t.Errorf("h1 eth0 mac %s, want 02:00:00:77:02:01", eth0.MAC)
		}
	}
	if len(s.Nodes) != 2 {
		t.Errorf("status lists %d nodes, want 2", len(s.Nodes))
	}
	text := l.Must("status").Stdout
	for _, w := range []string{"lab " + l.Name + ": up", "10.77.1.1/24", "02:00:00:77:02:01", "1450"} {
		if !strings.Contains(text, w) {
			t.Errorf("status text lacks %q:\n%s", w, text)
		}
	}

	// Drift: an interface taken down behind topo's back.
	e2e.Sh(t, "ip", "-n", l.NS("h1"), "link", "set", "eth0", "down")
	s = status()
	if s.State != "drifted" || len(s.Drift) == 0 || !strings.Contains(strings.Join(s.Drift, "\n"), "h1:eth0") {
		t.Errorf("after ip link set down: state %q, drift %v; want drifted, naming h1:eth0", s.State, s.Drift)
	}
	if text := l.Must("status").Stdout; !strings.Contains(text, "drift") || !strings.Contains(text, ": drifted") {
		t.Errorf("status text does not show the drift:\n%s", text)
	}
	planned := e2e.PlanSteps(l.Must("plan", l.File).Stdout)
	e2e.SameSteps(t, "plan of the repair", planned, []string{"~ h1:eth0 up"})
	l.Up()
	if !ifaces(t, l.NS("h1"))["eth0"].up() {
		t.Errorf("up did not bring h1 eth0 back up")
	}
	if s = status(); s.State != "up" || len(s.Drift) > 0 {
		t.Errorf("after repair: state %q, drift %v; want up", s.State, s.Drift)
	}
}

func TestE2EDown(t *testing.T) {
	l := newLab(t, "down", e2e.PairBody)
	labDir := filepath.Join(l.StateDir, l.Name)
	isDown := func(when string) {
		t.Helper()
		if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
			t.Errorf("%s: namespaces remain: %v", when, left)
		}
		if _, err := os.Stat(labDir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: state directory %s remains (%v)", when, labDir, err)
		}
	}

	l.Up()
	s1, s2 := l.startSleeper("h1"), l.startSleeper("h2")
	// Plain down, one lab up: takes it.
	r := l.Must("down")
	if !strings.Contains(r.Stdout, "lab "+l.Name+" is down") {
		t.Errorf("down: %v", r)
	}
	for _, s := range []sleeper{s1, s2} {
		if !s.gone() {
			t.Errorf("down left process %d (sleep %s) running", s.pid, s.mark)
		}
	}
	isDown("after down")
	// Again, by name and plain: both succeed and change nothing.
	if r := l.Topo("down", l.Name); r.Code != 0 {
		t.Errorf("second down: %v", r)
	}
	if r := l.Topo("down"); r.Code != 0 {
		t.Errorf("plain down with no lab: %v", r)
	}
	isDown("after second down")

	l.Up()
	if r := l.Must("down", "-f", l.File); !strings.Contains(r.Stdout, "lab "+l.Name+" is down") {
		t.Errorf("down -f: %v", r)
	}
	isDown("after down -f")

	// --wait returns once the killed processes are gone (not merely
	// signalled) and the kernel has freed the namespaces.
	l.Up()
	s3 := l.startSleeper("h1")
	if r := l.Must("down", "--wait", l.Name); !strings.Contains(r.Stdout, "lab "+l.Name+" is down") {
		t.Errorf("down --wait: %v", r)
	}
	if _, alive := s3.netns(); alive {
		t.Errorf("down --wait returned with process %d (sleep %s) still in the lab", s3.pid, s3.mark)
	}
	isDown("after down --wait")
}

// wantRE is a `# want LINE:COL: TEXT` comment in an invalid file: the
// problem must point at that line and column.
var wantRE = regexp.MustCompile(`(?m)^# want (\d+:\d+): (.*)$`)

// nameLineRE matches the name line of a topology file.
var nameLineRE = regexp.MustCompile(`(?m)^name:.*$`)

func TestE2EInvalidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/invalid-*.yaml files (%v)", err)
	}
	for _, src := range files {
		t.Run(strings.TrimSuffix(filepath.Base(src), ".yaml"), func(t *testing.T) {
			l := newLab(t, "bad", "")
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			// "name: LAB" becomes this test's lab; other names stay.
			data = []byte(strings.Replace(string(data), "name: LAB\n", "name: "+l.Name+"\n", 1))
			path := filepath.Join(l.Dir, filepath.Base(src))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			wants := wantRE.FindAllStringSubmatch(string(data), -1)
			if len(wants) == 0 {
				t.Fatalf("%s has no `# want LINE:COL: TEXT` comment", src)
			}
			labName := l.Name
			if m := nameLineRE.FindString(string(data)); m != "" {
				labName = strings.TrimSpace(strings.TrimPrefix(m, "name:"))
			}
			for _, verb := range []string{"validate", "up"} {
				r := l.Topo(verb, path)
				if r.Code == 0 {
					t.Errorf("%s succeeded on an invalid file:\n%v", verb, r)
					continue
				}
				out := r.Stdout + r.Stderr
				for _, w := range wants {
					at := filepath.Base(path) + ":" + w[1] + ":"
					if !strings.Contains(out, at) {
						t.Errorf("%s: output does not point at %s\n%v", verb, at, r)
					}
					if !strings.Contains(out, w[2]) {
						t.Errorf("%s: output lacks %q\n%v", verb, w[2], r)
					}
				}
				if len(wants) > 1 && !strings.Contains(out, "("+strconv.Itoa(len(wants))+" problems)") {
					t.Errorf("%s: want all %d problems reported at once\n%v", verb, len(wants), r)
				}
			}
			if left := e2e.NamespacesWithPrefix(labName + "-"); len(left) > 0 {
				t.Errorf("an invalid file made namespaces: %v", left)
			}
			stateDirEmpty(t, l.StateDir)
		})
	}
}

func TestE2ENotRoot(t *testing.T) {
	l := newLab(t, "noroot", e2e.PairBody)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("skipped: setpriv (util-linux) is not installed")
	}
	// A directory nobody can read, holding the file.
	dir, err := os.MkdirTemp("", "topo-e2e-noroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "lab.yaml")
	data, _ := os.ReadFile(l.File)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) e2e.Result {
		argv := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", e2e.Bin()}, args...)
		cmd := exec.Command("setpriv", argv...)
		cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.StateDir)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := e2e.Result{Args: args, Stdout: out.String(), Stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.Code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("setpriv: %v", err)
		}
		return r
	}
	r := asNobody("up", file)
	if r.Code == 0 {
		t.Fatalf("up as nobody succeeded:\n%v", r)
	}
	msg := strings.TrimSpace(r.Stderr)
	if strings.Contains(msg, "\n") || !(strings.Contains(msg, "root") || strings.Contains(msg, "CAP_NET_ADMIN")) {
		t.Errorf("up as nobody: want one line mentioning root or CAP_NET_ADMIN:\n%v", r)
	}
	if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
		t.Errorf("up as nobody made namespaces: %v", left)
	}
	stateDirEmpty(t, l.StateDir)
	r = asNobody("validate", file)
	if r.Code != 0 || !strings.Contains(r.Stdout, "is valid") {
		t.Errorf("validate as nobody:\n%v", r)
	}
	// Every command that reads or changes a running lab says it needs
	// root, in one line, before touching anything.
	for _, args := range [][]string{{"logs", "h1"}, {"ui"}, {"graph", l.Name}, {"check", l.Name, "--expect", file}, {"exec", "--all", "--", "true"}} {
		r := asNobody(args...)
		msg := strings.TrimSpace(r.Stderr)
		if r.Code == 0 || strings.Contains(msg, "\n") || !strings.Contains(msg, "needs root") {
			t.Errorf("%v as nobody: want one line saying it needs root:\n%v", args, r)
		}
	}
	// A file's picture needs no root.
	if r := asNobody("graph", file, "--format", "dot"); r.Code != 0 || !strings.Contains(r.Stdout, "graph ") {
		t.Errorf("graph FILE as nobody:\n%v", r)
	}
}

func TestE2ENotOwned(t *testing.T) {
	l := newLab(t, "owned", e2e.PairBody)
	foreign := l.NS("h1")
	e2e.Sh(t, "ip", "netns", "add", foreign)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", foreign).Run() })
	inode := testns.Inode(t, foreign)
	r := l.Topo("up", l.File)
	if r.Code == 0 {
		t.Fatalf("up over a foreign namespace succeeded:\n%v", r)
	}
	if !strings.Contains(r.Stderr, foreign) || !strings.Contains(r.Stderr, "not created by topo") {
		t.Errorf("up: want a message naming %s as not topo's:\n%v", foreign, r)
	}
	if got := testns.Inode(t, foreign); got != inode {
		t.Errorf("namespace %s was replaced (inode %d -> %d)", foreign, inode, got)
	}
	// A refused up leaves no lab behind for status, exec or down to find.
	if r := l.Topo("status"); r.Code != 0 || strings.Contains(r.Stdout, l.Name) {
		t.Errorf("status after a refused up:\n%v", r)
	}
	if r := l.Topo("down", l.Name); r.Code != 0 {
		t.Errorf("down after a refused up:\n%v", r)
	}
	if got := testns.Inode(t, foreign); got != inode {
		t.Errorf("down touched namespace %s (inode %d -> %d)", foreign, inode, got)
	}
}

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found (%v)", err)
	}
	return files
}

func TestE2EExamplesValidate(t *testing.T) {
	e2e.NeedBinary(t)
	for _, f := range examples(t) {
		r := e2e.Run(t, t.TempDir(), nil, "validate", f)
		if r.Code != 0 || !strings.Contains(r.Stdout, "is valid") {
			t.Errorf("%s:\n%v", f, r)
		}
	}
}

// pingTTLRE finds the TTL in ping's reply line.
var pingTTLRE = regexp.MustCompile(`ttl=(\d+)`)

func TestE2EExamplesUp(t *testing.T) {
	for _, src := range examples(t) {
		base := strings.TrimSuffix(filepath.Base(src), ".yaml")
		t.Run(base, func(t *testing.T) {
			l := newLab(t, "ex-"+base, "")
			l.File = l.WriteRenamed(src)
			desired, _, err := topology.Load(l.File)
			if err != nil {
				t.Fatal(err)
			}
			l.Up()
			for _, e := range desired.Expect {
				e := e
				if e.Kind() != topology.ExpectReach {
					continue // ping proves no path, port or MTU: topo check does (TestCheckPath and others)
				}
				if _, ok := desired.FirstAddress(e.To); !ok && desired.Node(e.To) != nil {
					continue // a host addressed by its client is in no hosts file: topo check probes it (TestDHCPExampleLeasesAndChecks)
				}
				t.Run(e.From+"->"+e.To, func(t *testing.T) { checkExpect(t, l, e) })
			}
			l.Must("down", l.Name)
			if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
				t.Errorf("down left %v", left)
			}
		})
	}
}

// checkExpect pings for one expect: entry of an example via topo exec.
func checkExpect(t *testing.T, l *labT, e *topology.Expectation) {
	args := []string{"exec", "--lab", l.Name, e.From, "--", "ping", "-c1", "-W2", e.To}
	r := l.Topo(args...)
	// The kernel's neighbour tables are shared by every namespace on the
	// machine; when other runs overflow them, sendmsg fails with ENOBUFS.
	// Only that failure is retried.
	for try := 1; r.Code != 0 && strings.Contains(r.Stderr, "No buffer space available") && try < 3; try++ {
		t.Logf("attempt %d hit a full neighbour table, retrying:\n%v", try, r)
		r = l.Topo(args...)
	}
	failed := ""
	switch {
	case e.Reach && r.Code != 0:
		failed = "want reachable"
	case !e.Reach && r.Code == 0:
		failed = "want unreachable"
	case e.Reach && e.TTL != 0:
		if m := pingTTLRE.FindStringSubmatch(r.Stdout); m == nil || m[1] != strconv.Itoa(e.TTL) {
			failed = "want ttl " + strconv.Itoa(e.TTL)
		}
	}
	if failed != "" {
		t.Errorf("expect %s -> %s (line %d): %s\n%v", e.From, e.To, e.Pos.Line, failed, r)
	}
}
