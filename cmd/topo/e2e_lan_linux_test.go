package main

// End-to-end tests of LANs and routers: switches (bridges in namespaces
// of their own), spanning tree, automatic addressing, routers and
// gateway: auto, link state at run time and generated topologies. Like
// e2e_linux_test.go they run the topo binary against the real kernel,
// each test with its own state directory and lab names. Spanning tree
// takes seconds to settle, so the tests that wait for it run in
// parallel with each other; they wait on the bridges' port states, not
// on a timer.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
	"time"

	"github.com/topo-lab/topo/pkg/lab"
)

// lanStatus is `topo status LAB --json` of the lab.
func lanStatus(l *labT) *lab.LabStatus {
	l.T.Helper()
	r := l.Must("status", l.Name, "--json")
	var all []*lab.LabStatus
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil {
		l.T.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	for _, s := range all {
		if s.Name == l.Name {
			return s
		}
	}
	l.T.Fatalf("status --json has no lab %s:\n%s", l.Name, r.Stdout)
	return nil
}

// lanIface finds NODE's interface IFACE in a status (nil when absent).
func lanIface(s *lab.LabStatus, node, iface string) *lab.IfaceStatus {
	for _, n := range s.Nodes {
		if n.Name != node {
			continue
		}
		for _, i := range n.Ifaces {
			if i.Name == iface {
				return i
			}
		}
	}
	return nil
}

// lanAddrs maps "node:iface" to its addresses in a status.
func lanAddrs(s *lab.LabStatus) map[string][]string {
	out := map[string][]string{}
	for _, n := range s.Nodes {
		for _, i := range n.Ifaces {
			if len(i.Addresses) > 0 {
				out[n.Name+":"+i.Name] = i.Addresses
			}
		}
	}
	return out
}

// wantAddrs fails for every "node:iface" of want whose addresses differ.
func wantAddrs(t *testing.T, s *lab.LabStatus, want map[string][]string) {
	t.Helper()
	got := lanAddrs(s)
	for end, w := range want {
		if strings.Join(got[end], " ") != strings.Join(w, " ") {
			t.Errorf("%s: status shows addresses %v, want %v", end, got[end], w)
		}
	}
}

// checkResult is one pair of `topo check --json` without expectations.
type checkResult struct {
	From    string `json:"from"`
	ToNode  string `json:"to_node"`
	To      string `json:"to"`
	Reached bool   `json:"reached"`
	TTL     int    `json:"ttl"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
}

// bootSeconds is the time since boot, the clock of the kernel log's
// timestamps.
func bootSeconds() float64 {
	data, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

var dmesgTimeRE = regexp.MustCompile(`^\[\s*(\d+\.\d+)\]`)

// neighbourNote explains a failed probe with "arp" reasons when the
// kernel logged "neighbor table overflow" since the probe started (a
// bootSeconds time): that table is shared by every namespace on the
// machine, and tests of other packages running at the same time can
// fill it. Such a failure is reported, not retried.
func neighbourNote(r e2e.Result, since float64) string {
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "arp") {
		return ""
	}
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		return ""
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "neighbor table overflow") {
			continue
		}
		// The two clocks differ by the time suspended: allow a second.
		if m := dmesgTimeRE.FindStringSubmatch(line); m != nil {
			if ts, err := strconv.ParseFloat(m[1], 64); err == nil && ts < since-1 {
				continue
			}
		}
		n++
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("NOTE: dmesg shows %d \"neighbor table overflow\" lines since this probe started: the kernel's "+
		"neighbour table (shared by all namespaces on the machine) was full, maybe filled by other tests running "+
		"at the same time; the \"arp\" failures may come from that rather than from topo\n", n)
}

// probe runs topo and returns its result and the note neighbourNote
// gives for it.
func (l *labT) probe(args ...string) (e2e.Result, string) {
	l.T.Helper()
	since := bootSeconds()
	r := l.Topo(args...)
	return r, neighbourNote(r, since)
}

// mustCheck runs `topo check ARGS...` and fails the test unless it exits
// 0 and prints want.
func (l *labT) mustCheck(want string, args ...string) e2e.Result {
	l.T.Helper()
	r, note := l.probe(append([]string{"check"}, args...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, want) {
		l.T.Fatalf("check: want exit 0 and %q\n%s%v", want, note, r)
	}
	return r
}

// checkJSON runs `topo check LAB --all --json` and returns the pairs by
// "from->to_node" (for a node with several addresses: one that was
// reached if any was, else the first), the result and its neighbourNote.
func (l *labT) checkJSON() (map[string]checkResult, e2e.Result, string) {
	l.T.Helper()
	r, note := l.probe("check", l.Name, "--all", "--json")
	var list []checkResult
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil {
		l.T.Fatalf("check --json: %v\n%v", err, r)
	}
	out := map[string]checkResult{}
	for _, c := range list {
		key := c.From + "->" + c.ToNode
		if old, ok := out[key]; !ok || !old.Reached && c.Reached {
			out[key] = c
		}
	}
	return out, r, note
}

// lineOf is the 1-based line of the lab's file holding text.
func (l *labT) lineOf(file, text string) int {
	l.T.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		l.T.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, text) {
			return i + 1
		}
	}
	l.T.Fatalf("%s has no line with %q", file, text)
	return 0
}

// bridgePort is one port of a bridge as `bridge -j link` shows it.
type bridgePort struct {
	Name  string `json:"ifname"`
	State string `json:"state"`
}

// bridgePorts lists the ports of the bridges in a namespace.
func bridgePorts(t *testing.T, ns string) []bridgePort {
	t.Helper()
	var ports []bridgePort
	if err := json.Unmarshal([]byte(e2e.Sh(t, "bridge", "-j", "-n", ns, "link")), &ports); err != nil {
		t.Fatalf("bridge -j -n %s link: %v", ns, err)
	}
	return ports
}

// stpShape is what spanning tree must reach in a lab: every switch
// port (from status) and the number of ports it must block, one per
// switch-to-switch link beyond a tree of the switches.
type stpShape struct {
	switches []string
	ports    int
	blocking int
}

func stpShapeOf(s *lab.LabStatus) stpShape {
	var sh stpShape
	isSwitch := map[string]bool{}
	for _, n := range s.Nodes {
		if n.Kind == "switch" {
			isSwitch[n.Name] = true
			sh.switches = append(sh.switches, n.Name)
		}
	}
	inter := 0
	for _, n := range s.Nodes {
		if n.Kind != "switch" {
			continue
		}
		for _, i := range n.Ifaces {
			if i.Peer == "" {
				continue // the bridge itself
			}
			sh.ports++
			peer, _, _ := strings.Cut(i.Peer, ":")
			if isSwitch[peer] {
				inter++
			}
		}
	}
	// Each switch-to-switch link shows up on both of its switches; the
	// switches are connected, so a tree of them uses len-1 links.
	sh.blocking = inter/2 - (len(sh.switches) - 1)
	return sh
}

// waitSTP polls the bridges of the lab's switches until spanning tree
// has broken every loop — exactly shape.blocking ports blocking, every
// other port forwarding — and returns the blocking ports as
// "switch:port". With a short forward delay and many switches, every
// port can be forwarding or blocking for a moment before all loops are
// cut, so the count is part of the event waited for. The deadline
// bounds the wait; it is not a timing.
func waitSTP(t *testing.T, l *labT, shape stpShape, within time.Duration) []string {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		var blocking []string
		states := map[string]int{}
		total := 0
		for _, sw := range shape.switches {
			for _, p := range bridgePorts(t, l.NS(sw)) {
				total++
				states[p.State]++
				if p.State == "blocking" {
					blocking = append(blocking, sw+":"+p.Name)
				}
			}
		}
		if total == shape.ports && len(blocking) == shape.blocking && states["forwarding"]+len(blocking) == total {
			t.Logf("spanning tree settled after %.1fs: %d ports forwarding, blocking %v",
				time.Since(start).Seconds(), states["forwarding"], blocking)
			sort.Strings(blocking)
			return blocking
		}
		if time.Now().After(deadline) {
			t.Fatalf("spanning tree did not settle within %v: %d of %d ports seen, states %v, want %d blocking and the rest forwarding (blocking: %v)",
				within, total, shape.ports, states, shape.blocking, blocking)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stpSteady fails unless the ports blocking now are those that were
// (the tree waited for was not a passing state), none of them a host's
// port.
func stpSteady(t *testing.T, l *labT, shape stpShape, was []string) {
	t.Helper()
	var now []string
	for _, sw := range shape.switches {
		for _, p := range bridgePorts(t, l.NS(sw)) {
			if p.State != "forwarding" && p.State != "blocking" {
				t.Errorf("after the check, %s:%s is %s", sw, p.Name, p.State)
			}
			if p.State == "blocking" {
				now = append(now, sw+":"+p.Name)
				if strings.HasSuffix(p.Name, "-eth0") {
					t.Errorf("spanning tree blocks %s:%s, a host's port", sw, p.Name)
				}
			}
		}
	}
	sort.Strings(now)
	if strings.Join(now, " ") != strings.Join(was, " ") {
		t.Errorf("blocking ports changed after the check: %v, were %v", now, was)
	}
}

// pairsWant is the summary of an all-pairs check of n single-address
// hosts that all reach each other.
func pairsWant(n int) string {
	p := n * (n - 1)
	return fmt.Sprintf("0%% dropped (%d/%d received)", p, p)
}

func TestE2ELANSwitches(t *testing.T) {
	l := newLab(t, "lan", `switches:
  s1: {subnet: 10.81.0.0/24}
  s2: {}
hosts:
  h1: {}
  h2: {}
  h3: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [s1, s2]
  - endpoints: [h3, s2]
`)
	before := e2e.RootLinks(t)
	l.Up()
	if added := e2e.AddedRootLinks(t, before); len(added) > 0 {
		t.Errorf("up made links in the root namespace: %v", added)
	}

	// Each switch is a bridge in its own namespace, with ports named
	// after the far end: h1-eth0 for host h1's eth0, s2 for switch s2.
	for sw, want := range map[string][]string{"s1": {"h1-eth0", "h2-eth0", "s2"}, "s2": {"h3-eth0", "s1"}} {
		bridges := strings.Fields(e2e.Sh(t, "ip", "-n", l.NS(sw), "-o", "link", "show", "type", "bridge"))
		if len(bridges) < 2 || bridges[1] != "br0:" {
			t.Errorf("%s: want one bridge br0, ip link show type bridge says %v", l.NS(sw), bridges)
		}
		var ports []string
		for _, p := range bridgePorts(t, l.NS(sw)) {
			ports = append(ports, p.Name)
		}
		sort.Strings(ports)
		if strings.Join(ports, " ") != strings.Join(want, " ") {
			t.Errorf("switch %s has ports %v, want %v", sw, ports, want)
		}
	}
	// A switch is a plain switch: bridged frames skip the switch
	// namespace's netfilter hooks even where br_netfilter is loaded.
	if _, err := os.Stat("/proc/sys/net/bridge/bridge-nf-call-iptables"); err != nil {
		t.Logf("br_netfilter is not loaded here (%v): the switches' bridge-nf-call-* settings are not checked", err)
	} else {
		for _, k := range []string{"iptables", "ip6tables", "arptables"} {
			if v := strings.TrimSpace(e2e.Sh(t, "ip", "netns", "exec", l.NS("s1"), "cat", "/proc/sys/net/bridge/bridge-nf-call-"+k)); v != "0" {
				t.Errorf("s1: bridge-nf-call-%s = %s, want 0", k, v)
			}
		}
	}
	// Hosts do not solicit routers: every switch would flood each
	// solicitation to every port.
	if v := strings.TrimSpace(e2e.Sh(t, "ip", "netns", "exec", l.NS("h1"), "cat", "/proc/sys/net/ipv6/conf/eth0/router_solicitations")); v != "0" {
		t.Errorf("h1: eth0 router_solicitations = %s, want 0", v)
	}
	s := lanStatus(l)
	if i := lanIface(s, "s1", "h1-eth0"); i == nil || i.Peer != "h1:eth0" {
		t.Errorf("status: s1 port h1-eth0 is %+v, want peer h1:eth0", i)
	}
	if i := lanIface(s, "h1", "eth0"); i == nil || i.Peer != "s1:h1-eth0" {
		t.Errorf("status: h1 eth0 is %+v, want peer s1:h1-eth0", i)
	}
	// One LAN over both switches, addressed from s1's subnet.
	wantAddrs(t, s, map[string][]string{"h1:eth0": {"10.81.0.1/24"}, "h2:eth0": {"10.81.0.2/24"}, "h3:eth0": {"10.81.0.3/24"}})

	l.mustCheck(pairsWant(3), l.Name)
	for _, dst := range []string{"h2", "h3"} { // same switch, other switch
		r, note := l.probe("ping", "--lab", l.Name, "h1", dst, "-c", "2")
		if r.Code != 0 || !strings.Contains(r.Stdout, "2 received") || !strings.Contains(r.Stdout, "ttl=64") {
			t.Errorf("ping h1 %s: want 2 replies with ttl=64\n%s%v", dst, note, r)
		}
	}
}

func TestE2ELANSTPTriangle(t *testing.T) {
	t.Parallel()
	l := newLab(t, "stp3", "")
	l.File = l.WriteRenamed("../../examples/stp-loop.yaml")
	l.Up()
	shape := stpShapeOf(lanStatus(l))
	if len(shape.switches) != 3 || shape.ports != 9 || shape.blocking != 1 {
		t.Fatalf("stp-loop: %+v, want 3 switches, 9 ports, one link too many", shape)
	}
	blocking := waitSTP(t, l, shape, 30*time.Second)
	l.mustCheck(pairsWant(3), l.Name, "--all")
	stpSteady(t, l, shape, blocking)
}

func TestE2ELANLoopWithoutSTPWarns(t *testing.T) {
	e2e.NeedBinary(t)
	data, err := os.ReadFile("../../examples/stp-loop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loop := strings.NewReplacer("{stp: true, ", "{", "{stp: true}", "{}").Replace(string(data))
	if strings.Contains(loop, "stp:") {
		t.Fatalf("stp is still on in:\n%s", loop)
	}
	file := filepath.Join(t.TempDir(), "loop.yaml")
	if err := os.WriteFile(file, []byte(loop), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e2e.Run(t, t.TempDir(), nil, "validate", file)
	out := r.Stdout + r.Stderr
	if r.Code != 0 || !strings.Contains(out, "warning") || !strings.Contains(out, "loop") ||
		!regexp.MustCompile(`loop\.yaml:\d+:\d+: warning`).MatchString(out) {
		t.Errorf("validate of a loop without stp: want exit 0 and a warning with file:line:col about the loop\n%v", r)
	}
}

func TestE2ELANAutoAddressing(t *testing.T) {
	t.Run("subnet on a switch and on links", func(t *testing.T) {
		l := newLab(t, "subnet", `switches:
  s1: {subnet: 10.82.0.0/24}
hosts:
  h1: {}
  h2: {}
  h3: {}
  h4: {}
  h5: {}
  h6: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
    addresses: [10.82.0.1/24]
  - endpoints: [h3, s1]
  - endpoints: [h4, h5]
    subnet: 10.83.0.0/24
  - endpoints:
      - {node: h6, addresses: [10.84.0.1/29]}
      - {node: h4}
    subnet: 10.84.0.0/29
`)
		l.Up()
		// File order, explicit addresses skipped: h2 holds .1 by hand.
		wantAddrs(t, lanStatus(l), map[string][]string{
			"h1:eth0": {"10.82.0.2/24"},
			"h2:eth0": {"10.82.0.1/24"},
			"h3:eth0": {"10.82.0.3/24"},
			"h4:eth0": {"10.83.0.1/24"},
			"h5:eth0": {"10.83.0.2/24"},
			"h6:eth0": {"10.84.0.1/29"},
			"h4:eth1": {"10.84.0.2/29"},
		})
		// Each LAN reaches within itself (there is no router between
		// them).
		pairs, r, note := l.checkJSON()
		for _, p := range []string{"h1->h2", "h2->h3", "h3->h1", "h4->h5", "h5->h4", "h6->h4", "h4->h6"} {
			if c := pairs[p]; !c.Reached {
				t.Errorf("%s: %+v, want reached\n%s%v", p, c, note, r)
			}
		}
	})

	t.Run("addressing block and gateway auto", func(t *testing.T) {
		l := newLab(t, "pool", `addressing: {ipv4: 10.85.0.0/16, ipv6: "fd00:85::/48"}
gateway: auto
switches:
  s1: {}
hosts:
  r1: {forward: true}
  h1: {}
  h2: {}
  h3: {}
links:
  - endpoints: [r1, s1]
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [r1, h3]
`)
		l.Up()
		s := lanStatus(l)
		// A /24 and a /64 per LAN or point-to-point link, in file order.
		wantAddrs(t, s, map[string][]string{
			"r1:eth0": {"10.85.0.1/24", "fd00:85::1/64"},
			"h1:eth0": {"10.85.0.2/24", "fd00:85::2/64"},
			"h2:eth0": {"10.85.0.3/24", "fd00:85::3/64"},
			"r1:eth1": {"10.85.1.1/24", "fd00:85:0:1::1/64"},
			"h3:eth0": {"10.85.1.2/24", "fd00:85:0:1::2/64"},
		})
		for n, gw := range map[string][]string{"h1": {"10.85.0.1", "fd00:85::1"}, "h3": {"10.85.1.1", "fd00:85:0:1::1"}} {
			for _, node := range s.Nodes {
				if node.Name != n {
					continue
				}
				for _, via := range gw {
					if !contains(node.Routes, "default via "+via) {
						t.Errorf("%s: routes %v, want default via %s", n, node.Routes, via)
					}
				}
			}
		}
		// Every host to every address of every other: r1 has 4
		// addresses, h1..h3 2 each: 3*4 + 3*2*2 + 3*2 = 30.
		l.mustCheck("0% dropped (30/30 received)", l.Name)

		// The same file never renumbers: again, and after down and up.
		want, _ := json.Marshal(s)
		r := l.Must("up", l.File)
		if steps := e2e.PlanSteps(r.Stdout); len(steps) > 0 || !strings.Contains(r.Stdout, "nothing to change") {
			t.Errorf("second up changed something:\n%v", r)
		}
		if got, _ := json.Marshal(lanStatus(l)); string(got) != string(want) {
			t.Errorf("status changed after a second up:\n%s\nwant\n%s", got, want)
		}
		if r := l.Must("plan", l.File); len(e2e.PlanSteps(r.Stdout)) > 0 {
			t.Errorf("plan after up is not empty:\n%v", r)
		}
		l.Must("down", l.Name)
		l.Up()
		before := lanAddrs(s)
		if after := lanAddrs(lanStatus(l)); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("addresses after down and up: %v\nwant %v", after, before)
		}
	})
}

func TestE2ELANRouter(t *testing.T) {
	l := newLab(t, "router", "")
	l.File = l.WriteRenamed("../../examples/three-subnets.yaml")
	l.Up()

	r := l.mustCheck("3 of 3 hold", l.File)
	if !strings.Contains(r.Stdout, "ttl 63") {
		t.Errorf("check of the file's expectations shows no ttl 63:\n%v", r)
	}
	// Every host to every address of every other: r1 has 3 interfaces
	// with IPv4 and IPv6, h1..h4 one: 4*6 + 4*3*2 + 4*2 = 56.
	l.mustCheck("0% dropped (56/56 received)", l.Name, "--all")
	r, note := l.probe("ping", "--lab", l.Name, "h1", "h3", "-c", "1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ttl=63") {
		t.Errorf("ping h1 h3: want a reply with ttl=63 (one router)\n%s%v", note, r)
	}

	// IPv6 across the router: default routes via r1 and h4's address.
	s := lanStatus(l)
	var v6 string
	for _, a := range lanAddrs(s)["h4:eth0"] {
		if strings.Contains(a, ":") {
			v6, _, _ = strings.Cut(a, "/")
		}
	}
	if v6 == "" {
		t.Fatalf("h4 has no IPv6 address: %v", lanAddrs(s))
	}
	for _, n := range s.Nodes {
		if n.Name == "h1" && !strings.Contains(strings.Join(n.Routes, "\n"), "default via fd00:") {
			t.Errorf("h1 has no IPv6 default route: %v", n.Routes)
		}
	}
	r, note = l.probe("ping", "--lab", l.Name, "h1", v6, "-c", "1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ttl=63") {
		t.Errorf("ping h1 %s: want a reply with hop limit 63\n%s%v", v6, note, r)
	}

	// A wrong TTL in an expectation fails the check: the TTL is compared.
	data, err := os.ReadFile(l.File)
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(l.Dir, "wrong-ttl.yaml")
	if err := os.WriteFile(wrong, []byte(strings.Replace(string(data), "{from: h1, to: h3, ttl: 63}", "{from: h1, to: h3, ttl: 64}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := l.Topo("check", wrong); r.Code == 0 || !strings.Contains(r.Stdout, "2 of 3 hold") {
		t.Errorf("check with a wrong ttl: want exit 1 and \"2 of 3 hold\"\n%v", r)
	}
}

func TestE2ELANGatewayAutoInvalid(t *testing.T) {
	for _, tc := range []struct {
		desc, body, at, want string
	}{{
		desc: "no router",
		body: `addressing: {ipv4: 10.86.0.0/16}
gateway: auto
switches:
  s1: {}
hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
`,
		at:   "gateway: auto",
		want: "found no router",
	}, {
		desc: "two routers",
		body: `addressing: {ipv4: 10.86.0.0/16}
switches:
  s1: {}
hosts:
  r1: {forward: true}
  r2: {forward: true}
  h1: {gateway: auto}
links:
  - endpoints: [r1, s1]
  - endpoints: [r2, s1]
  - endpoints: [h1, s1]
`,
		at:   "h1: {gateway: auto}",
		want: "several IPv4 routers",
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			l := newLab(t, "gw", tc.body)
			wantInvalid(t, l, l.lineOf(l.File, tc.at), tc.want)
		})
	}
}

// wantInvalid runs validate and up on the lab's file: both must fail,
// pointing at file:line with want, and build nothing.
func wantInvalid(t *testing.T, l *labT, line int, want string) {
	t.Helper()
	at := filepath.Base(l.File) + ":" + strconv.Itoa(line) + ":"
	for _, verb := range []string{"validate", "up"} {
		r := l.Topo(verb, l.File)
		out := r.Stdout + r.Stderr
		if r.Code == 0 || !strings.Contains(out, at) || !strings.Contains(out, want) {
			t.Errorf("%s: want a failure at %s saying %q\n%v", verb, at, want, r)
		}
	}
	if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 {
		t.Errorf("an invalid file made namespaces: %v", left)
	}
	stateDirEmpty(t, l.StateDir)
}

func TestE2ELANLinkState(t *testing.T) {
	const lanBody = `switches:
  s1: {subnet: 10.87.0.0/24}
hosts:
  h1: {}
  h2: {}
  h3: {}
  h4: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [h3:eth0, h4:eth0]
    addresses: [10.88.0.1/24, 10.88.0.2/24]
`
	l := newLab(t, "lstate", lanBody)
	l.Up()
	nodes := []string{"h1", "h2", "h3", "h4", "s1"}
	inodes := map[string]uint64{}
	for _, n := range nodes {
		inodes[n] = testns.Inode(t, l.NS(n))
	}
	unchanged := func(when string) {
		t.Helper()
		for _, n := range nodes {
			if got := testns.Inode(t, l.NS(n)); got != inodes[n] {
				t.Errorf("%s: namespace %s was rebuilt (inode %d -> %d)", when, l.NS(n), inodes[n], got)
			}
		}
	}
	endState := func(when string, want string, ends ...string) {
		t.Helper()
		s := lanStatus(l)
		for _, e := range ends {
			node, iface, _ := strings.Cut(e, ":")
			if i := lanIface(s, node, iface); i == nil || i.State != want {
				t.Errorf("%s: status shows %s as %+v, want state %s", when, e, i, want)
			}
		}
	}
	// reasons checks the reason of h2 -> h1 (through the switch) and of
	// h4 -> h3 (point to point): the next hop is silent on the LAN; the
	// connected route is gone with a point-to-point link down.
	reasons := func(when string) {
		t.Helper()
		pairs, r, note := l.checkJSON()
		if r.Code != 1 {
			t.Errorf("%s: check --all exits %d, want 1", when, r.Code)
		}
		if c := pairs["h2->h1"]; c.Reached || c.Reason != "arp" {
			t.Errorf("%s: h2 -> h1: %+v, want reason arp\n%s", when, c, note)
		}
		if c := pairs["h4->h3"]; c.Reached || c.Reason != "no-route" {
			t.Errorf("%s: h4 -> h3: %+v, want reason no-route", when, c)
		}
		if c := pairs["h1->h2"]; c.Reached || c.Reason != "no-route" {
			t.Errorf("%s: h1 -> h2: %+v, want reason no-route (h1's only link is down)", when, c)
		}
	}
	allReach := func(when string) {
		t.Helper()
		pairs, r, note := l.checkJSON()
		for _, p := range []string{"h1->h2", "h2->h1", "h3->h4", "h4->h3"} {
			if c := pairs[p]; !c.Reached {
				t.Errorf("%s: %s: %+v, want reached\n%s%v", when, p, c, note, r)
			}
		}
		for _, p := range [][2]string{{"h2", "h1"}, {"h4", "h3"}} {
			if r, note := l.probe("ping", "--lab", l.Name, p[0], p[1], "-c", "1"); r.Code != 0 {
				t.Errorf("%s: ping %s %s:\n%s%v", when, p[0], p[1], note, r)
			}
		}
	}
	allReach("after up")

	// At run time, by one end; back up by the other end.
	l.Must("link", "--lab", l.Name, "h1:eth0", "down")
	l.Must("link", "--lab", l.Name, "h3:eth0", "down")
	endState("after topo link down", "down", "h1:eth0", "s1:h1-eth0", "h3:eth0", "h4:eth0")
	endState("after topo link down", "up", "h2:eth0", "s1:h2-eth0")
	r := l.Topo("ping", "--lab", l.Name, "h2", "h1", "-c", "1")
	if r.Code == 0 || !strings.Contains(r.Stderr, "arp") {
		t.Errorf("ping h2 h1 over a link that is down: want a failure naming arp\n%v", r)
	}
	reasons("after topo link down")
	l.Must("link", "--lab", l.Name, "s1:h1-eth0", "up")
	l.Must("link", "--lab", l.Name, "h4:eth0", "up")
	endState("after topo link up", "up", "h1:eth0", "s1:h1-eth0", "h3:eth0", "h4:eth0")
	allReach("after topo link up")
	unchanged("after topo link")
	if r := l.Topo("link", "--lab", l.Name, "h1:eth9", "down"); r.Code == 0 || !strings.Contains(r.Stderr, "h1:eth9") {
		t.Errorf("link on an end that does not exist: want a failure naming h1:eth9\n%v", r)
	}

	// Declaratively: state: down in the file, then the file again.
	down := strings.Replace(lanBody, "  - endpoints: [h1, s1]\n", "  - endpoints: [h1, s1]\n    state: down\n", 1)
	down = strings.Replace(down, "    addresses: [10.88.0.1/24, 10.88.0.2/24]\n", "    addresses: [10.88.0.1/24, 10.88.0.2/24]\n    state: down\n", 1)
	l.Write(down)
	want := []string{"~ h1:eth0 down", "~ s1:h1-eth0 down", "~ h3:eth0 down", "~ h4:eth0 down"}
	e2e.SameSteps(t, "plan of state: down", e2e.PlanSteps(l.Must("plan", l.File).Stdout), want)
	e2e.SameSteps(t, "up of state: down", l.Up(), want)
	endState("after state: down", "down", "h1:eth0", "s1:h1-eth0", "h3:eth0", "h4:eth0")
	reasons("after state: down")
	l.Write(lanBody)
	want = []string{"~ h1:eth0 up", "~ s1:h1-eth0 up", "~ h3:eth0 up", "~ h4:eth0 up"}
	e2e.SameSteps(t, "plan of state: up", e2e.PlanSteps(l.Must("plan", l.File).Stdout), want)
	e2e.SameSteps(t, "up of state: up", l.Up(), want)
	allReach("after state: up")
	unchanged("after state: down and up")
}

func TestE2ELANGenTree(t *testing.T) {
	l := newLab(t, "tree", "")
	yaml := l.Must("gen", "tree", "2", "4", "--name", l.Name).Stdout
	r := l.TopoIn(strings.NewReader(yaml), "up", "/dev/stdin")
	if r.Code != 0 {
		t.Fatalf("up /dev/stdin: %v", r)
	}
	kinds := map[string]int{}
	for _, n := range lanStatus(l).Nodes {
		if !n.Present {
			t.Errorf("node %s is not present", n.Name)
		}
		kinds[n.Kind]++
	}
	if kinds["host"] != 16 || kinds["switch"] != 5 {
		t.Errorf("tree 2 4: %v, want 16 hosts and 5 switches", kinds)
	}
	l.mustCheck("0% dropped (240/240 received)", l.Name)
}

// upGen brings up `topo gen ARGS...` as the lab and returns its status.
func upGen(t *testing.T, tag string, args ...string) (*labT, *lab.LabStatus) {
	t.Helper()
	l := newLab(t, tag, "")
	r := l.Must(append(append([]string{"gen"}, args...), "--name", l.Name)...)
	if err := os.WriteFile(l.File, []byte(r.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	l.Up()
	return l, lanStatus(l)
}

func hostsIn(s *lab.LabStatus) int {
	n := 0
	for _, node := range s.Nodes {
		if node.Kind == "host" {
			n++
		}
	}
	return n
}

func TestE2ELANGenShapes(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		hosts int
	}{
		{[]string{"single", "4"}, 4},
		{[]string{"linear", "4"}, 4},
		{[]string{"star", "3"}, 3},
	} {
		t.Run(strings.Join(tc.args, "-"), func(t *testing.T) {
			l, s := upGen(t, "gen-"+tc.args[0], tc.args...)
			if h := hostsIn(s); h != tc.hosts {
				t.Errorf("%d hosts, want %d", h, tc.hosts)
			}
			l.mustCheck(pairsWant(tc.hosts), l.Name)
		})
	}
}

func TestE2ELANGenSTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args     []string
		hosts    int
		blocking int
	}{
		{[]string{"ring", "4"}, 4, 1},
		// k=4: 4 core, 8 aggregation, 8 edge switches, 32 links
		// between them: 13 more than a tree.
		{[]string{"fattree", "4"}, 16, 13},
	} {
		t.Run(strings.Join(tc.args, "-"), func(t *testing.T) {
			t.Parallel()
			l, s := upGen(t, "gen-"+tc.args[0], tc.args...)
			if h := hostsIn(s); h != tc.hosts {
				t.Errorf("%d hosts, want %d", h, tc.hosts)
			}
			shape := stpShapeOf(s)
			if shape.blocking != tc.blocking {
				t.Fatalf("%v: %+v, want %d links more than a tree", tc.args, shape, tc.blocking)
			}
			blocking := waitSTP(t, l, shape, 45*time.Second)
			l.mustCheck(pairsWant(tc.hosts), l.Name)
			stpSteady(t, l, shape, blocking)
		})
	}
}

func TestE2ELANGenBadArguments(t *testing.T) {
	e2e.NeedBinary(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tree", "2"}, "tree needs DEPTH and FANOUT"},
		{[]string{"tree", "0", "2"}, "DEPTH must be at least 1"},
		{[]string{"fattree", "3"}, "K must be even"},
		{[]string{"fattree", "0"}, "K must be at least 2"},
		{[]string{"ring", "2"}, "N must be at least 3"},
		{[]string{"single", "0"}, "N must be at least 1"},
		{[]string{"linear", "x"}, "N must be a whole number"},
		{[]string{"mesh", "3"}, `unknown topology kind "mesh"`},
		{[]string{"single", "2000"}, "at most 1023"},
		{[]string{"star"}, "star needs N"},
	} {
		r := e2e.Run(t, t.TempDir(), nil, append([]string{"gen"}, tc.args...)...)
		msg := strings.TrimSpace(r.Stderr)
		if r.Code == 0 || r.Stdout != "" || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
			t.Errorf("gen %v: want exit non-zero, nothing on stdout and one line saying %q\n%v", tc.args, tc.want, r)
		}
	}
}

func TestE2ELANInvalid(t *testing.T) {
	big := "switches:\n  s1: {subnet: 10.89.0.0/16}\nhosts:\n"
	for i := 1; i <= 1024; i++ {
		big += fmt.Sprintf("  h%d: {}\n", i)
	}
	big += "links:\n"
	for i := 1; i <= 1024; i++ {
		big += fmt.Sprintf("  - endpoints: [h%d, s1]\n", i)
	}
	for _, tc := range []struct {
		desc, body, at, want string
	}{{
		desc: "interface on a switch end",
		body: "switches:\n  s1: {}\nhosts:\n  h1: {}\nlinks:\n  - endpoints: [h1, s1:eth3]\n",
		at:   "s1:eth3",
		want: "on a switch end",
	}, {
		desc: "address on a switch end",
		body: "switches:\n  s1: {}\nhosts:\n  h1: {}\nlinks:\n  - endpoints:\n      - {node: h1}\n      - {node: s1, addresses: [10.89.0.1/24]}\n",
		at:   "{node: s1,",
		want: "takes no address",
	}, {
		desc: "subnet too small",
		body: "switches:\n  s1: {subnet: 10.89.0.0/30}\nhosts:\n  h1: {}\n  h2: {}\n  h3: {}\nlinks:\n  - endpoints: [h1, s1]\n  - endpoints: [h2, s1]\n  - endpoints: [h3, s1]\n",
		at:   "subnet: 10.89.0.0/30",
		want: "too small",
	}, {
		desc: "pool runs out",
		body: "addressing: {ipv4: 10.89.0.0/23}\nhosts:\n  h1: {}\n  h2: {}\n  h3: {}\nlinks:\n  - endpoints: [h1, h2]\n  - endpoints: [h2, h3]\n  - endpoints: [h3, h1]\n",
		at:   "addressing:",
		want: "ran out",
	}, {
		desc: "overlapping subnets on one host",
		body: "hosts:\n  h1: {}\n  h2: {}\n  h3: {}\nlinks:\n  - endpoints: [h1, h2]\n    addresses: [10.89.0.1/24, 10.89.0.2/24]\n  - endpoints: [h1, h3]\n    addresses: [10.89.0.129/25, 10.89.0.130/25]\n",
		at:   "10.89.0.129/25",
		want: "overlaps",
	}, {
		desc: "switch over 1023 ports",
		body: big,
		at:   "s1: {subnet",
		want: "1024 ports",
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			l := newLab(t, "badlan", tc.body)
			wantInvalid(t, l, l.lineOf(l.File, tc.at), tc.want)
		})
	}
}
