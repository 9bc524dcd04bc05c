package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/node"
)

// routedLab is h1 - r1 - r2 - h2 on three subnets, the middle link
// with mtu 1400. The routers send ICMP errors without rate limit: the
// checks of a test, one after the other, would otherwise see them or
// not depending on their pace.
const routedLab = `hosts:
  h1:
    routes: [{to: default, via: 10.1.1.1}]
  h2:
    routes: [{to: default, via: 10.1.3.1}]
  r1:
    forward: true
    routes: [{to: 10.1.3.0/24, via: 10.1.2.2}]
    sysctls: {net.ipv4.icmp_ratelimit: "0"}
  r2:
    forward: true
    routes: [{to: 10.1.1.0/24, via: 10.1.2.1}]
    sysctls: {net.ipv4.icmp_ratelimit: "0"}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.1.1.10/24, 10.1.1.1/24]
  - endpoints: [r1:eth1, r2:eth0]
    addresses: [10.1.2.1/24, 10.1.2.2/24]
    mtu: 1400
  - endpoints: [r2:eth1, h2:eth0]
    addresses: [10.1.3.1/24, 10.1.3.10/24]
`

// checkExpectJSON runs `topo check --json` on the lab's file and returns
// the verdicts, with the exit code.
func checkExpectJSON(t *testing.T, l *labT) ([]lab.ExpectResult, int) {
	t.Helper()
	r := l.Topo("check", l.File, "--json")
	var res []lab.ExpectResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("check --json: %v\n%v", err, r)
	}
	return res, r.Code
}

// verdict is what a test wants of one expectation: whether it holds,
// and phrases its reason (and its detail lines) must hold.
type verdict struct {
	holds  bool
	why    []string
	detail []string
}

func wantVerdicts(t *testing.T, res []lab.ExpectResult, want []verdict) {
	t.Helper()
	if len(res) != len(want) {
		t.Fatalf("%d verdicts, want %d", len(res), len(want))
	}
	for i, w := range want {
		r := res[i]
		if r.Holds != w.holds {
			t.Errorf("%s: holds %v, want %v (%s)", r.Expect, r.Holds, w.holds, r.Why)
		}
		for _, p := range w.why {
			if !strings.Contains(r.Why, p) {
				t.Errorf("%s: reason %q does not say %q", r.Expect, r.Why, p)
			}
		}
		all := strings.Join(r.Detail, "\n")
		for _, p := range w.detail {
			if !strings.Contains(all, p) {
				t.Errorf("%s: detail does not say %q:\n%s", r.Expect, p, all)
			}
		}
	}
}

// TestCheckPath proves paths with TTL-limited probes: the right path
// holds, a wrong one is told hop by hop, and a path that changes is
// seen to.
func TestCheckPath(t *testing.T) {
	l := newLab(t, "path", routedLab+`expect:
  - {from: h1, to: h2, via: [r1, r2]}
  - {from: h1, to: h2, via: [r2, r1]}
  - {from: h1, to: h2, via: [r1]}
  - {from: h2, to: 10.1.1.10, via: [r2, r1]}
`)
	l.Up()
	res, code := checkExpectJSON(t, l)
	if code != 1 {
		t.Errorf("exit %d with wrong paths, want 1", code)
	}
	wantVerdicts(t, res, []verdict{
		{holds: true, why: []string{"path h1 → r1 → r2 → h2 (3 hops)"}},
		{why: []string{"hop 1 is r1, not r2"}, detail: []string{"hop 1  r1 (10.1.1.1)  time exceeded   <- expected r2", "hop 2  r2 (10.1.2.2)  time exceeded", "hop 3  h2 (10.1.3.10)  reached"}},
		{why: []string{"hop 2 is r2, not h2"}, detail: []string{"hop 2  r2 (10.1.2.2)  time exceeded   <- expected h2"}},
		{holds: true, why: []string{"path h2 → r2 → r1 → 10.1.1.10 (3 hops)"}},
	})
	// r2 stops forwarding: the path ends at it, hop by hop.
	e2e.Sh(t, "ip", "netns", "exec", l.NS("r2"), "sysctl", "-qw", "net.ipv4.ip_forward=0")
	res, _ = checkExpectJSON(t, l)
	if res[0].Holds {
		t.Fatalf("path through a router that does not forward holds: %s", res[0].Why)
	}
	if res[0].Why != "hop 2: no answer (expected r2): h1 → r1 → *" {
		t.Errorf("reason %q does not say that hop 2 is silent", res[0].Why)
	}
	if d := strings.Join(res[0].Detail, "\n"); d != "hop 1  r1 (10.1.1.1)  time exceeded\nhop 2  *  no answer   <- expected r2" {
		t.Errorf("detail does not show the path end hop by hop:\n%s", d)
	}
}

// listenIn starts a server in a node's namespace, from this test:
// tcp answers each connection's first line with "hello " and the
// line; udp answers each datagram "pong". It is closed at cleanup.
func listenIn(t *testing.T, ns, proto, addr string) {
	t.Helper()
	n, err := node.Open(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var closer io.Closer
	err = n.Do(func() error {
		if proto == "udp" {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				return err
			}
			closer = pc
			go func() {
				buf := make([]byte, 1500)
				for {
					_, from, err := pc.ReadFrom(buf)
					if err != nil {
						return
					}
					pc.WriteTo([]byte("pong\n"), from)
				}
			}()
			return nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		closer = ln
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 256)
					k, _ := c.Read(buf)
					c.Write([]byte("hello " + string(buf[:k])))
				}()
			}
		}()
		return nil
	})
	if err != nil {
		t.Fatalf("listen %s %s in %s: %v", proto, addr, ns, err)
	}
	t.Cleanup(func() { closer.Close() })
}

// TestCheckPorts connects to TCP and UDP ports from h1 and wants the
// verdict and its reason for each way a connection ends: answered,
// RST, dropped, and rejected with an ICMP error by a router's firewall.
func TestCheckPorts(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping: nft not installed (make test-deps)")
	}
	l := newLab(t, "ports", routedLab+`expect:
  - {from: h1, to: h2, tcp: 8080}
  - {from: h1, to: h2, tcp: 8080, send: "topo\n", expect: "hello topo"}
  - {from: h1, to: h2, tcp: 8080, send: "topo\n", expect: "goodbye"}
  - {from: h1, to: h2, tcp: 8081, reach: false}
  - {from: h1, to: h2, tcp: 8081}
  - {from: h1, to: h2, tcp: 8082, reach: false}
  - {from: h1, to: h2, tcp: 8082}
  - {from: h1, to: h2, tcp: 8083, reach: false}
  - {from: h1, to: h2, udp: 5353, send: "ping", expect: "pong"}
  - {from: h1, to: h2, udp: 5354, reach: false}
  - {from: h1, to: h2, udp: 5354}
  - {from: h1, to: h2, tcp: 8080, reach: false}
`)
	l.Up()
	listenIn(t, l.NS("h2"), "tcp", "10.1.3.10:8080")
	listenIn(t, l.NS("h2"), "udp", "10.1.3.10:5353")
	l.Must("exec", "--lab", l.Name, "r2", "--", "nft", "add table inet f; add chain inet f c { type filter hook forward priority 0; }; "+
		"add rule inet f c tcp dport 8082 drop; add rule inet f c tcp dport 8083 reject with icmpx admin-prohibited")
	res, code := checkExpectJSON(t, l)
	if code != 1 {
		t.Errorf("exit %d with failing expectations, want 1", code)
	}
	wantVerdicts(t, res, []verdict{
		{holds: true, why: []string{"connected in"}},
		{holds: true, why: []string{"connected in"}},
		{why: []string{`answered "hello topo\n", not containing "goodbye"`}},
		{holds: true, why: []string{"refused: TCP RST from 10.1.3.10, as expected"}},
		{why: []string{"refused: TCP RST from 10.1.3.10"}},
		{holds: true, why: []string{"no answer within 1s: dropped, as expected"}},
		{why: []string{"no answer within 1s: dropped"}},
		{holds: true, why: []string{"ICMP r2 (10.1.2.2): communication administratively prohibited", "as expected"}},
		{holds: true, why: []string{"answered in"}},
		{holds: true, why: []string{"ICMP h2 (10.1.3.10): destination port unreachable, as expected"}},
		{why: []string{"ICMP h2 (10.1.3.10): destination port unreachable"}},
		{why: []string{"connected in", "but must not"}},
	})
}

// TestCheckMTU finds the path's MTU: told by the router before the
// narrow link, and, once that router's ICMP errors are dropped, by
// searching a silent path.
func TestCheckMTU(t *testing.T) {
	l := newLab(t, "mtu", routedLab+`expect:
  - {from: h1, to: h2, mtu: 1400}
  - {from: h1, to: h2, mtu: 1500}
  - {from: h2, to: h1, mtu: 1400}
`)
	l.Up()
	res, _ := checkExpectJSON(t, l)
	wantVerdicts(t, res, []verdict{
		{holds: true, why: []string{"the largest DF packet that passes is 1400 bytes"}},
		{why: []string{"is 1400 bytes, not 1500"}, detail: []string{"1500 bytes  r1 (10.1.1.1): fragmentation needed and DF set (mtu 1400)", "1400 bytes  passed"}},
		{holds: true},
	})
	if res[0].MTU == nil || res[0].MTU.MTU != 1400 {
		t.Errorf("the MTU found is not reported: %+v", res[0].MTU)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping the silent path: nft not installed (make test-deps)")
	}
	// A black hole: r1 no longer says why it drops.
	l.Must("exec", "--lab", l.Name, "r1", "--", "nft", "add table ip f; add chain ip f o { type filter hook output priority 0; }; add rule ip f o icmp type destination-unreachable drop")
	res, _ = checkExpectJSON(t, l)
	if !res[0].Holds || res[0].MTU == nil || len(res[0].MTU.Tries) < 4 {
		t.Errorf("silent path: %s, tries %+v; want 1400 found by search", res[0].Why, res[0].MTU)
	}
}

// grade runs topo check LAB --expect FILE --json and returns the
// report and exit code.
func grade(t *testing.T, l *labT, file string) (gradeReport, int) {
	t.Helper()
	r := l.Topo("check", l.Name, "--expect", file, "--json")
	var rep gradeReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("check --expect --json: %v\n%v", err, r)
	}
	return rep, r.Code
}

// teacherFile grades routedLab: its nodes (r2 worth 2 points), two
// addresses (h1's worth 2) and four expectations, one worth 3 points.
const teacherFile = `nodes: [h1, h2, r1, {node: r2, points: 2}]
addresses:
  h1: {address: 10.1.1.10/24, points: 2}
  r2: 10.1.2.2
expect:
  - {from: h1, to: h2}
  - {from: h1, to: h2, via: [r1, r2], points: 3}
  - {from: h2, to: h1, mtu: 1400}
  - {from: h1, to: h2, udp: 9, reach: false}
`

// TestGrade grades two students' labs against a teacher's file: one
// built as the teacher's, one with a router missing and an address
// wrong, whose checks fail with "no node r2" rather than the run.
func TestGrade(t *testing.T) {
	good := newLab(t, "grade-a", routedLab)
	good.Up()
	file := good.Dir + "/grade.yaml"
	writeFile(t, file, teacherFile)
	rep, code := grade(t, good, file)
	if code != 0 || rep.Earned != 14 || rep.Points != 14 || rep.Holds != 10 || rep.Checks != 10 {
		t.Errorf("a lab as the teacher's: exit %d, %d/%d points, %d of %d checks; want 0, 14/14, 10 of 10\n%+v", code, rep.Earned, rep.Points, rep.Holds, rep.Checks, rep)
	}
	if len(rep.Items) == 10 && (rep.Items[3].Points != 2 || rep.Items[3].Earned != 2 || rep.Items[4].Points != 2 || rep.Items[4].Line != 3) {
		t.Errorf("--json: node r2 and h1's address are worth %d and %d points (line %d), want 2 and 2 (line 3)", rep.Items[3].Points, rep.Items[4].Points, rep.Items[4].Line)
	}
	if len(rep.Items) == 10 && (rep.Items[0].Why != "a host" || rep.Items[2].Why != "a router") {
		t.Errorf("node h1 is %q, r1 %q; want \"a host\", \"a router\"", rep.Items[0].Why, rep.Items[2].Why)
	}
	bad := newLab(t, "grade-b", `hosts:
  h1:
    routes: [{to: default, via: 10.1.1.1}]
  h2:
    routes: [{to: default, via: 10.1.3.1}]
  r1: {forward: true}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.1.1.11/24, 10.1.1.1/24]
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.1.3.1/24, 10.1.3.10/24]
`)
	bad.Up()
	r := bad.Topo("check", bad.Name, "--expect", file, "--score")
	if r.Code != 1 {
		t.Errorf("exit %d for a lab that fails, want 1\n%v", r.Code, r)
	}
	want := []string{
		" 1/1  node h1 exists",
		" 1/1  node h2 exists",
		" 1/1  node r1 exists",
		" 0/2  node r2 exists: no node r2",
		" 0/2  h1 holds 10.1.1.10/24: h1 has 10.1.1.11/24 on eth0",
		" 0/1  r2 holds 10.1.2.2: no node r2",
		" 1/1  h1 must reach h2",
		" 0/3  h1 must reach h2 via r1, r2: no node r2",
		" 0/1  h2 must pass 1400-byte packets to h1: the largest DF packet that passes is 1500 bytes, not 1400",
		" 1/1  h1 must not get an answer from h2 udp/9",
		"score " + bad.Name + " 5/14",
	}
	if got := strings.TrimSuffix(r.Stdout, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("--score printed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// A bad expectations file is refused with where and why, before
	// anything is checked.
	writeFile(t, file, "expect:\n  - {from: h1, to: h2, tcp: 80, udp: 53}\n")
	r = bad.Topo("check", bad.Name, "--expect", file)
	if r.Code != 2 || !strings.Contains(r.Stderr, file+":2:38: an expectation checks one thing: it has both tcp and udp") {
		t.Errorf("bad expectations file: %v", r)
	}
	// A student's lab that is not up keeps its row in the teacher's
	// table: every check fails, no points.
	writeFile(t, file, teacherFile)
	r = bad.Topo("check", "carol", "--expect", file, "--score")
	lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
	if r.Code != 1 || len(lines) != 11 || lines[3] != " 0/2  node r2 exists: lab carol is not up" ||
		lines[10] != "score carol 0/14" || !strings.Contains(r.Stderr, "lab carol is not up") {
		t.Errorf("grading a lab that is not up: %v", r)
	}
	if r := bad.Topo("check", "Carol", "--expect", file, "--score"); r.Code == 0 || strings.Contains(r.Stdout, "score") {
		t.Errorf("a name that is no lab's name was graded: %v", r)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
