package topology

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// expectLab is hosts3 (h1, h2, h3, router r1) with a switch s1, linked
// h1 - r1 - s1 - h2, h3 on s1, then the expect: lines (from line 12).
func expectLab(lines ...string) string {
	return withHosts(append([]string{
		"  - endpoints: [h1, r1]",
		"  - endpoints: [r1, s1]",
		"  - endpoints: [h2, s1]",
		"  - endpoints: [h3, s1]",
		"switches: {s1: {}}",
		"addressing: {ipv4: 10.0.0.0/16}",
		"expect:",
	}, lines...)...)
}

func TestExpectKinds(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", expectLab(
		"  - {from: h1, to: h2, via: [r1]}",
		"  - {from: h1, to: h2, tcp: 80, points: 3}",
		`  - {from: h1, to: h2, tcp: 80, send: "GET / HTTP/1.0\r\n\r\n", expect: "200 OK"}`,
		`  - {from: h1, to: h3, udp: 53, send: "ping", expect: "pong"}`,
		"  - {from: h1, to: h3, udp: 5353, reach: false}",
		"  - {from: h1, to: h2, mtu: 1400}",
		"  - {from: h1, to: h2, points: 0}",
	))
	at := func(line int) Pos { return Pos{File: "lab.yaml", Line: line, Col: 5} }
	want := []Expectation{
		{From: "h1", To: "h2", Reach: true, Via: []string{"r1"}, Points: 1, Pos: at(14)},
		{From: "h1", To: "h2", Reach: true, TCP: 80, Points: 3, Pos: at(15)},
		{From: "h1", To: "h2", Reach: true, TCP: 80, Send: "GET / HTTP/1.0\r\n\r\n", Reply: "200 OK", Points: 1, Pos: at(16)},
		{From: "h1", To: "h3", Reach: true, UDP: 53, Send: "ping", Reply: "pong", Points: 1, Pos: at(17)},
		{From: "h1", To: "h3", Reach: false, UDP: 5353, Points: 1, Pos: at(18)},
		{From: "h1", To: "h2", Reach: true, MTU: 1400, Points: 1, Pos: at(19)},
		{From: "h1", To: "h2", Reach: true, Points: 0, Pos: at(20)},
	}
	kinds := []string{ExpectPath, ExpectTCP, ExpectTCP, ExpectUDP, ExpectUDP, ExpectMTU, ExpectReach}
	texts := []string{
		"h1 must reach h2 via r1",
		"h1 must connect to h2 tcp/80",
		"h1 must connect to h2 tcp/80",
		"h1 must get an answer from h3 udp/53",
		"h1 must not get an answer from h3 udp/5353",
		"h1 must pass 1400-byte packets to h2",
		"h1 must reach h2",
	}
	if len(lab.Expect) != len(want) {
		t.Fatalf("%d expectations, want %d", len(lab.Expect), len(want))
	}
	for i, e := range lab.Expect {
		if !reflect.DeepEqual(*e, want[i]) {
			t.Errorf("expectation %d: %+v, want %+v", i, *e, want[i])
		}
		if e.Kind() != kinds[i] {
			t.Errorf("expectation %d is a %s, want %s", i, e.Kind(), kinds[i])
		}
		if e.String() != texts[i] {
			t.Errorf("expectation %d says %q, want %q", i, e.String(), texts[i])
		}
	}
}

// TestExpectKindsInvalid pins the hints of the problems
// testdata/invalid-expect-kinds.yaml places.
func TestExpectKindsInvalid(t *testing.T) {
	for _, c := range []invalidCase{
		{desc: "via names an unknown node", src: expectLab("  - {from: h1, to: h2, via: [r11]}"), line: 14, col: 30, msg: `expectation via "r11": no such node`, hint: `did you mean "r1"?`},
		{desc: "via names a host that does not forward", src: expectLab("  - {from: h1, to: h2, via: [h3]}"), line: 14, col: 30, msg: "h3 is not a router", hint: "set forward: true on h3"},
		{desc: "via names a switch", src: expectLab("  - {from: h1, to: h2, via: [s1]}"), line: 14, col: 30, msg: "s1 is a switch, not a router", hint: "TTL-limited probes cross it unseen"},
		{desc: "via as one name", src: expectLab("  - {from: h1, to: h2, via: h3}"), line: 14, col: 29, msg: "h3 is not a router"},
		{desc: "tcp port out of range", src: expectLab("  - {from: h1, to: h2, tcp: 65536}"), line: 14, col: 29, msg: "expect tcp port must be a whole number from 1 to 65535", hint: "from 1 to 65535"},
		{desc: "udp port not a number", src: expectLab("  - {from: h1, to: h2, udp: dns}"), line: 14, col: 29, msg: `not "dns"`},
		{desc: "mtu out of range", src: expectLab("  - {from: h1, to: h2, mtu: 67}"), line: 14, col: 29, msg: "expect mtu must be a whole number from 68 to 65535"},
		{desc: "tcp and udp", src: expectLab("  - {from: h1, to: h2, tcp: 80, udp: 53}"), line: 14, col: 38, msg: "has both tcp and udp", hint: "one with tcp, one with udp"},
		{desc: "via and tcp", src: expectLab("  - {from: h1, to: h2, tcp: 80, via: [r1]}"), line: 14, col: 38, msg: "has both tcp and via"},
		{desc: "ttl with mtu", src: expectLab("  - {from: h1, to: h2, mtu: 1400, ttl: 64}"), line: 14, col: 40, msg: "an expectation with mtu cannot check a ttl", hint: "ttl is the echo reply's"},
		{desc: "via with reach: false", src: expectLab("  - {from: h1, to: h2, via: [r1], reach: false}"), line: 14, col: 42, msg: "cannot have reach: false", hint: "drop reach: false"},
		{desc: "send without a port", src: expectLab(`  - {from: h1, to: h2, send: "x"}`), line: 14, col: 30, msg: "send needs a tcp: or udp: port", hint: "add tcp: PORT or udp: PORT"},
		{desc: "expect with reach: false", src: expectLab(`  - {from: h1, to: h2, tcp: 80, reach: false, expect: "x"}`), line: 14, col: 55, msg: "gets no answer to compare with expect", hint: "drop expect: or reach: false"},
		{desc: "points negative", src: expectLab("  - {from: h1, to: h2, points: -2}"), line: 14, col: 32, msg: "expect points must be a whole number from 0 to 1000"},
		{desc: "unknown field", src: expectLab("  - {from: h1, to: h2, tcpp: 80}"), line: 14, col: 24, msg: `unknown field "tcpp"`, hint: `did you mean "tcp"?`},
	} {
		t.Run(c.desc, c.run)
	}
}

// TestExpectViaEnd: a via: entry naming the destination (a host that
// does not forward) is one problem, that it is an end of the path, not
// also that it is not a router.
func TestExpectViaEnd(t *testing.T) {
	_, _, err := Parse("lab.yaml", []byte(expectLab("  - {from: h1, to: h2, via: [r1, h2]}")))
	if err == nil {
		t.Fatal("accepted")
	}
	ps := problemsOf(t, err).Errors()
	if len(ps) != 1 || ps[0].Pos.Line != 14 || ps[0].Pos.Col != 34 || !strings.Contains(ps[0].Msg, "expectation via h2: that is an end of the path") {
		t.Errorf("want one problem at 14:34, via h2 is an end of the path; got:\n%v", err)
	}
}

func TestParseExpectFile(t *testing.T) {
	f, err := ParseExpectFile("grade.yaml", []byte(y(
		"nodes: [h1, h2, r1]",
		"addresses:",
		"  h1: 10.0.1.10/24",
		"  r1: [10.0.1.1/24, fd00::1]",
		"expect:",
		"  - {from: h1, to: h2, via: [r1], points: 2}",
		"  - {from: h1, to: 10.0.2.20, tcp: 80}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if got := []NodeCheck{{"h1", 1, Pos{File: "grade.yaml", Line: 1, Col: 9}}, {"h2", 1, Pos{File: "grade.yaml", Line: 1, Col: 13}}, {"r1", 1, Pos{File: "grade.yaml", Line: 1, Col: 17}}}; !reflect.DeepEqual(f.Nodes, got) {
		t.Errorf("nodes %+v, want %+v", f.Nodes, got)
	}
	var addrs []string
	for _, a := range f.Addresses {
		addrs = append(addrs, a.String())
	}
	if got, want := strings.Join(addrs, "; "), "h1 holds 10.0.1.10/24; r1 holds 10.0.1.1/24; r1 holds fd00::1"; got != want {
		t.Errorf("addresses %q, want %q", got, want)
	}
	if !f.Addresses[2].Bare || f.Addresses[2].Prefix != netip.MustParsePrefix("fd00::1/128") {
		t.Errorf("a bare address is %+v", f.Addresses[2])
	}
	if len(f.Expect) != 2 || f.Expect[0].Points != 2 || f.Expect[0].Kind() != ExpectPath || f.Expect[1].TCP != 80 || f.Expect[1].Points != 1 {
		t.Errorf("expectations %+v", f.Expect)
	}
	// Nodes are not checked against any lab here: h9 and a via router
	// are only names until a lab is graded.
	if _, err := ParseExpectFile("grade.yaml", []byte(y("expect:", "  - {from: h9, to: h8, via: [x1]}"))); err != nil {
		t.Errorf("a file naming nodes of no lab was refused: %v", err)
	}
}

// TestParseExpectFilePoints: an entry of nodes: or addresses: is worth
// 1 point, or what its {node:|address:, points:} form says, 0 included.
func TestParseExpectFilePoints(t *testing.T) {
	f, err := ParseExpectFile("grade.yaml", []byte(y(
		"nodes: [h1, {node: r2, points: 3}, {node: h3, points: 0}]",
		"addresses:",
		"  h1: {address: 10.0.1.10/24, points: 2}",
		"  r1:",
		"    - 10.0.1.1/24",
		"    - {address: fd00::1, points: 5}",
		"expect:",
		"  - {from: h1, to: h2}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	want := []NodeCheck{
		{"h1", 1, Pos{File: "grade.yaml", Line: 1, Col: 9}},
		{"r2", 3, Pos{File: "grade.yaml", Line: 1, Col: 20}},
		{"h3", 0, Pos{File: "grade.yaml", Line: 1, Col: 43}},
	}
	if !reflect.DeepEqual(f.Nodes, want) {
		t.Errorf("nodes %+v, want %+v", f.Nodes, want)
	}
	var addrs []string
	for _, a := range f.Addresses {
		addrs = append(addrs, fmt.Sprintf("%s: %d points, line %d", a, a.Points, a.Pos.Line))
	}
	if got, want := strings.Join(addrs, "; "), "h1 holds 10.0.1.10/24: 2 points, line 3; r1 holds 10.0.1.1/24: 1 points, line 5; r1 holds fd00::1: 5 points, line 6"; got != want {
		t.Errorf("addresses %q, want %q", got, want)
	}
	if !f.Addresses[2].Bare {
		t.Errorf("a bare address with points is %+v", f.Addresses[2])
	}
}

// TestParseExpectFileFromLab: a teacher's lab file grades with its
// expect: entries.
func TestParseExpectFileFromLab(t *testing.T) {
	f, err := ParseExpectFile("lab.yaml", []byte(expectLab("  - {from: h1, to: h2, via: [r1], points: 2}")))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Expect) != 1 || f.Expect[0].Kind() != ExpectPath || f.Expect[0].Points != 2 || f.Nodes != nil {
		t.Errorf("from a lab file: %+v", f)
	}
}

func TestParseExpectFileInvalid(t *testing.T) {
	for _, c := range []struct {
		desc, src string
		line, col int
		msg, hint string
	}{
		{"empty", "", 1, 0, "the file is empty", "expect:"},
		{"nothing expected", "expect: []\n", 1, 0, "the file expects nothing", ""},
		{"a lab file with a problem", y("hosts: {h1: {}}", "expect:", "  - {from: h1, to: h2}"), 3, 20, `expectation to "h2": neither a host nor an IP address`, ""},
		{"a lab file that expects nothing", y("hosts: {h1: {}}"), 1, 0, "expects nothing", "add expect:"},
		{"an unknown field", y("expect: []", "nodse: [h1]"), 2, 1, `unknown field "nodse"`, `did you mean "nodes"?`},
		{"bad YAML", y("expect:", "  - {from: h1, to: h2"), 2, 0, "not valid YAML", "indentation"},
		{"bad node name", y("nodes: [h1, h_2]"), 1, 13, `nodes: "h_2" is not a node name`, ""},
		{"bad address", y("addresses:", "  h1: 10.0.0.300/24"), 2, 7, `addresses of h1: "10.0.0.300/24" is not an IP address`, "10.0.0.1/24"},
		{"from an address", y("expect:", "  - {from: 10.0.0.1, to: h2}"), 2, 12, `"10.0.0.1" is not a node name`, ""},
		{"conflict", y("expect:", "  - {from: h1, to: h2, tcp: 80, mtu: 1400}"), 2, 38, "has both tcp and mtu", ""},
		{"via names the destination", y("expect:", "  - {from: h1, to: web, via: [r1, web]}"), 2, 35, "expectation via web: that is an end of the path", "list only the routers between h1 and web"},
		{"via names the source", y("expect:", "  - {from: h1, to: web, via: h1}"), 2, 30, "expectation via h1: that is an end of the path", ""},
		{"port out of range", y("expect:", "  - {from: h1, to: h2, udp: 0}"), 2, 29, "expect udp port must be a whole number from 1 to 65535", ""},
		{"missing to", y("expect:", "  - {from: h1, tcp: 80}"), 2, 5, "needs both from and to", ""},
		{"node points too many", y("nodes: [h1, {node: r2, points: 1001}]"), 1, 32, "nodes points must be a whole number from 0 to 1000", ""},
		{"node points negative", y("nodes:", "  - {node: r2, points: -1}"), 2, 24, "nodes points must be a whole number from 0 to 1000", ""},
		{"node entry without node", y("nodes: [{points: 2}]"), 1, 9, "nodes entry has no node:", "{node: h1, points: 2}"},
		{"node entry unknown field", y("nodes: [{name: r2, points: 2}]"), 1, 10, `nodes entry: unknown field "name"`, `"node"`},
		{"bad node name with points", y("nodes: [{node: h_2, points: 2}]"), 1, 16, `nodes: "h_2" is not a node name`, ""},
		{"address points not a number", y("addresses:", "  h1: {address: 10.0.0.1/24, points: two}"), 2, 38, "addresses of h1 points must be a whole number from 0 to 1000", ""},
		{"address entry without address", y("addresses:", "  h1: [{points: 2}]"), 2, 8, "addresses of h1 entry has no address:", "{address: 10.0.0.1/24, points: 2}"},
		{"bad address with points", y("addresses:", "  h1: [{address: 10.0.0.300/24, points: 2}]"), 2, 18, `addresses of h1: "10.0.0.300/24" is not an IP address`, ""},
	} {
		t.Run(c.desc, func(t *testing.T) {
			_, err := ParseExpectFile("grade.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("accepted")
			}
			p, ok := findProblem(problemsOf(t, err), c.line, c.msg)
			if !ok {
				t.Fatalf("no problem on line %d with %q:\n%v", c.line, c.msg, err)
			}
			if p.Pos.Col != c.col || p.Pos.File != "grade.yaml" {
				t.Errorf("problem at %s col %d, want grade.yaml col %d", p.Pos, p.Pos.Col, c.col)
			}
			if !strings.Contains(p.Hint, c.hint) {
				t.Errorf("hint %q does not mention %q", p.Hint, c.hint)
			}
		})
	}
}
