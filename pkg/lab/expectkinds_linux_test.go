package lab

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// hop answers for judgePath: a router's time exceeded, the
// destination's reply, another ICMP error, silence.
func exceeded(node, addr string) probe.Result {
	return probe.Result{Reason: probe.ReasonUnreachable, ICMP: &probe.ICMPError{From: netip.MustParseAddr(addr), FromNode: node, Type: 11}}
}

func reached(node, addr string) probe.Result {
	return probe.Result{Reached: true, ToNode: node, To: netip.MustParseAddr(addr)}
}

func netUnreachable(node, addr string) probe.Result {
	return probe.Result{Reason: probe.ReasonUnreachable, ICMP: &probe.ICMPError{From: netip.MustParseAddr(addr), FromNode: node, Type: 3, Code: 0}}
}

var silent = probe.Result{Reason: probe.ReasonICMP}

func TestJudgePath(t *testing.T) {
	via := &topology.Expectation{From: "h1", To: "h2", Reach: true, Via: []string{"r1", "r2"}}
	for _, c := range []struct {
		desc   string
		hops   []probe.Result
		holds  bool
		why    string
		detail string
	}{
		{"the path expected", []probe.Result{exceeded("r1", "10.0.1.1"), exceeded("r2", "10.0.2.2"), reached("h2", "10.0.3.10")},
			true, "path h1 → r1 → r2 → h2 (3 hops)", ""},
		{"routers swapped", []probe.Result{exceeded("r2", "10.0.1.1"), exceeded("r1", "10.0.2.2"), reached("h2", "10.0.3.10")},
			false, "hop 1 is r2, not r1: h1 → r2 → r1 → h2", "hop 1  r2 (10.0.1.1)  time exceeded   <- expected r1\nhop 2  r1 (10.0.2.2)  time exceeded\nhop 3  h2 (10.0.3.10)  reached"},
		{"a router too many", []probe.Result{exceeded("r1", "10.0.1.1"), exceeded("r2", "10.0.2.2"), exceeded("r3", "10.0.4.1"), reached("h2", "10.0.3.10")},
			false, "hop 3 is r3, not h2: h1 → r1 → r2 → r3 → h2", "<- expected h2"},
		{"a router short", []probe.Result{exceeded("r1", "10.0.1.1"), reached("h2", "10.0.3.10")},
			false, "hop 2 is h2, not r2: h1 → r1 → h2", ""},
		{"a silent hop", []probe.Result{exceeded("r1", "10.0.1.1"), silent},
			false, "hop 2: no answer (expected r2): h1 → r1 → *", "hop 2  *  no answer   <- expected r2"},
		{"the path ends at a router", []probe.Result{exceeded("r1", "10.0.1.1"), netUnreachable("r2", "10.0.2.2")},
			false, "the path ends at hop 2, r2 (10.0.2.2): destination net unreachable: h1 → r1 → r2", "hop 2  r2 (10.0.2.2)  destination net unreachable"},
		{"a router outside the lab", []probe.Result{exceeded("", "192.0.2.1"), exceeded("r2", "10.0.2.2"), reached("h2", "10.0.3.10")},
			false, "hop 1 is 192.0.2.1, not r1: h1 → 192.0.2.1 → r2 → h2", "hop 1  192.0.2.1  time exceeded"},
		{"routers all the way", []probe.Result{exceeded("r1", "10.0.1.1"), exceeded("r2", "10.0.2.2"), exceeded("r3", "10.0.4.1"), exceeded("r4", "10.0.5.1"), exceeded("r5", "10.0.6.1")},
			false, "hop 3 is r3, not h2: h1 → r1 → r2 → r3 → r4 → r5", ""},
	} {
		t.Run(c.desc, func(t *testing.T) {
			x := ExpectResult{Expect: via, Hops: c.hops}
			judgePath(&x, via)
			if x.Holds != c.holds || x.Why != c.why {
				t.Errorf("holds %v, %q; want %v, %q", x.Holds, x.Why, c.holds, c.why)
			}
			if end := c.hops[len(c.hops)-1].Reached; x.Result.Reached != end {
				t.Errorf("result reached %v; the last hop's answer says %v", x.Result.Reached, end)
			}
			if d := strings.Join(x.Detail, "\n"); !strings.Contains(d, c.detail) || (c.holds && d != "") {
				t.Errorf("detail:\n%s\nwant it to hold %q", d, c.detail)
			}
		})
	}
}

func TestJudgeConn(t *testing.T) {
	to := netip.MustParseAddrPort("10.0.3.80:80")
	icmp := &probe.ICMPError{From: netip.MustParseAddr("10.0.2.2"), FromNode: "r2", Type: 3, Code: 13}
	for _, c := range []struct {
		desc    string
		reach   bool
		conn    probe.Conn
		holds   bool
		why     string
		reached bool // a listener answered
	}{
		{"connected", true, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeAnswered, RTT: 250 * time.Microsecond}, true, "connected in 0.250 ms", true},
		{"RST", true, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeRefused}, false, "refused: TCP RST from 10.0.3.80", false},
		{"RST, as expected", false, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeRefused}, true, "refused: TCP RST from 10.0.3.80, as expected", false},
		{"rejected by a router", false, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeUnreachable, ICMP: icmp}, true,
			"ICMP r2 (10.0.2.2): communication administratively prohibited (a firewall rejected it), as expected", false},
		{"dropped", true, probe.Conn{Proto: "udp", To: to, Outcome: probe.OutcomeTimeout}, false, "no answer within 1s: dropped", false},
		{"connected, must not", false, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeAnswered, RTT: time.Millisecond}, false, "connected in 1.000 ms, but must not", true},
		{"the wrong answer", true, probe.Conn{Proto: "udp", To: to, Outcome: probe.OutcomeWrongAnswer, Answer: "nope", Want: "pong"}, false, `answered "nope", not containing "pong"`, true},
		{"closed without an answer", true, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeWrongAnswer, Error: "the connection was closed without an answer"}, false, "the connection was closed without an answer", true},
		{"could not run", false, probe.Conn{Proto: "tcp", To: to, Outcome: probe.OutcomeError, Error: "h1: no socket"}, false, "could not check: h1: no socket", false},
	} {
		t.Run(c.desc, func(t *testing.T) {
			e := &topology.Expectation{From: "h1", To: "web", Reach: c.reach, TCP: 80}
			x := ExpectResult{Expect: e, Conn: &c.conn}
			judgeConn(&x, e, time.Second)
			if x.Holds != c.holds || x.Why != c.why || x.Result.Reached != c.reached {
				t.Errorf("holds %v, %q, reached %v; want %v, %q, %v", x.Holds, x.Why, x.Result.Reached, c.holds, c.why, c.reached)
			}
		})
	}
}

func TestJudgeMTU(t *testing.T) {
	e := &topology.Expectation{From: "h1", To: "h2", Reach: true, MTU: 1400}
	x := ExpectResult{Expect: e, MTU: &probe.PathMTU{MTU: 1400}}
	if judgeMTU(&x, e); !x.Holds || x.Why != "the largest DF packet that passes is 1400 bytes" || x.Detail != nil || !x.Result.Reached {
		t.Errorf("found as expected: %v, %q, %q", x.Holds, x.Why, x.Detail)
	}
	x = ExpectResult{Expect: e, MTU: &probe.PathMTU{MTU: 1300, Tries: []probe.MTUTry{{Size: 68, Passed: true}, {Size: 1500, Why: "r1 (10.0.1.1): fragmentation needed and DF set (mtu 1300)"}, {Size: 1300, Passed: true}}}}
	judgeMTU(&x, e)
	if x.Holds || x.Why != "the largest DF packet that passes is 1300 bytes, not 1400" ||
		strings.Join(x.Detail, "\n") != "68 bytes  passed\n1500 bytes  r1 (10.0.1.1): fragmentation needed and DF set (mtu 1300)\n1300 bytes  passed" {
		t.Errorf("found another: %v, %q, %q", x.Holds, x.Why, x.Detail)
	}
	x = ExpectResult{Expect: e, MTU: &probe.PathMTU{Why: "no reply", Tries: []probe.MTUTry{{Size: 68, Why: "no reply"}}}}
	if judgeMTU(&x, e); x.Holds || x.Why != "not even a 68-byte packet passes: no reply" || x.Result.Reached {
		t.Errorf("nothing passes: %v, %q", x.Holds, x.Why)
	}
}

// TestMissingNode: a lab built from a student's file may lack any node
// the teacher's expectations name; each is said, not fatal.
func TestMissingNode(t *testing.T) {
	l := &topology.Lab{Name: "bob", Nodes: []*topology.Node{
		{Name: "h1", Kind: topology.KindHost}, {Name: "h2", Kind: topology.KindHost},
		{Name: "s1", Kind: topology.KindSwitch}, {Name: "r1", Kind: topology.KindHost},
	}}
	nodes := l.NodesByName()
	for _, c := range []struct {
		e    topology.Expectation
		want string
	}{
		{topology.Expectation{From: "h9", To: "h2"}, "no node h9"},
		{topology.Expectation{From: "s1", To: "h2"}, "s1 is a switch in this lab, not a host"},
		{topology.Expectation{From: "h1", To: "h7", TCP: 80}, "no node h7"},
		{topology.Expectation{From: "h1", To: "h2"}, "node h2 has no address"},
		{topology.Expectation{From: "h1", To: "10.0.0.9", Via: []string{"r1", "r2"}}, "no node r2"},
		{topology.Expectation{From: "h1", To: "10.0.0.9", Via: []string{"r1"}}, ""},
	} {
		if got := missingNode(l, nodes, &c.e); got != c.want {
			t.Errorf("%s: %q, want %q", c.e.String(), got, c.want)
		}
	}
}

func TestJudgeAddress(t *testing.T) {
	nodes := (&topology.Lab{Nodes: []*topology.Node{{Name: "web", Kind: topology.KindHost}, {Name: "s1", Kind: topology.KindSwitch}}}).NodesByName()
	held := map[string]map[string][]netip.Prefix{"web": {
		"eth0": {netip.MustParsePrefix("10.0.3.8/24"), netip.MustParsePrefix("fe80::1/64")},
		"lo":   {netip.MustParsePrefix("127.0.0.1/8")},
	}}
	check := func(node, addr string) topology.AddressCheck {
		if p, err := netip.ParsePrefix(addr); err == nil {
			return topology.AddressCheck{Node: node, Prefix: p}
		}
		a := netip.MustParseAddr(addr)
		return topology.AddressCheck{Node: node, Prefix: netip.PrefixFrom(a, a.BitLen()), Bare: true}
	}
	for _, c := range []struct {
		c     topology.AddressCheck
		holds bool
		why   string
	}{
		{check("web", "10.0.3.8/24"), true, "on eth0"},
		{check("web", "10.0.3.8"), true, "on eth0"},
		{check("web", "10.0.3.8/16"), false, "web has 10.0.3.8/24 on eth0"},
		{check("web", "10.0.3.80/24"), false, "web has 10.0.3.8/24 on eth0"},
		{check("db", "10.0.3.9/24"), false, "no node db"},
		{check("s1", "10.0.3.9/24"), false, "s1 is a switch in this lab: it holds no address"},
	} {
		if holds, why := judgeAddress(nodes, held, c.c); holds != c.holds || why != c.why {
			t.Errorf("%s: %v, %q; want %v, %q", c.c, holds, why, c.holds, c.why)
		}
	}
}

// TestGradeNodePoints: a node check is worth the points its entry in
// the expectations file gives (0 included), earned only when it holds.
func TestGradeNodePoints(t *testing.T) {
	l := &topology.Lab{Name: "bob", Nodes: []*topology.Node{{Name: "h1", Kind: topology.KindHost}}}
	f := &topology.ExpectFile{Nodes: []topology.NodeCheck{
		{Name: "h1", Points: 3}, {Name: "r2", Points: 2}, {Name: "h1", Points: 0},
	}}
	got, err := Grade(context.Background(), l, f, probe.ProberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, g := range got {
		s = append(s, fmt.Sprintf("%s %d/%d", g.Check, g.Earned, g.Points))
	}
	if want := "node h1 exists 3/3; node r2 exists 0/2; node h1 exists 0/0"; strings.Join(s, "; ") != want {
		t.Errorf("graded %q, want %q", strings.Join(s, "; "), want)
	}
}
