package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// y joins lines into a YAML document, so a case's line numbers can be
// read off its index: y(line1, line2, ...).
func y(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// problemsOf returns the Problems an error from Parse carries.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v", err, err)
	}
	return ps
}

// findProblem returns the problem on line whose message holds msg.
func findProblem(ps Problems, line int, msg string) (Problem, bool) {
	for _, p := range ps {
		if p.Pos.Line == line && strings.Contains(p.Msg, msg) {
			return p, true
		}
	}
	return Problem{}, false
}

func mustParse(t *testing.T, file, src string) (*Lab, Problems) {
	t.Helper()
	lab, warns, err := Parse(file, []byte(src))
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return lab, warns
}

// invalidCase is one file that must be refused with a given problem.
type invalidCase struct {
	desc string
	// src is the file; when empty, testdata/<file> is read instead.
	src  string
	file string
	// line and col are where the problem must point: at the offending
	// value. col is 0 for problems YAML gives no column for.
	line, col int
	msg       string
	hint      string // optional: a phrase of the hint
}

func (c invalidCase) run(t *testing.T) {
	t.Helper()
	file := c.file
	if file == "" {
		file = "lab.yaml"
	}
	data := []byte(c.src)
	if c.src == "" {
		var err error
		file = filepath.Join("testdata", c.file)
		if data, err = os.ReadFile(file); err != nil {
			t.Fatal(err)
		}
	}
	lab, _, err := Parse(file, data)
	if err == nil {
		t.Fatalf("Parse accepted the file; want a problem on line %d with %q", c.line, c.msg)
	}
	if lab != nil {
		t.Errorf("Parse returned a lab along with an error")
	}
	ps := problemsOf(t, err)
	p, ok := findProblem(ps.Errors(), c.line, c.msg)
	if !ok {
		t.Fatalf("no error on line %d with %q; got:\n%v", c.line, c.msg, err)
	}
	if p.Pos.File != file {
		t.Errorf("problem names file %q, want %q", p.Pos.File, file)
	}
	if c.hint != "" && !strings.Contains(p.Hint, c.hint) {
		t.Errorf("hint %q does not mention %q", p.Hint, c.hint)
	}
	if p.Pos.Col != c.col {
		t.Errorf("problem is at column %d, want %d:\n%v", p.Pos.Col, c.col, p)
	}
	at := Pos{File: file, Line: c.line, Col: c.col}.String()
	if !strings.Contains(err.Error(), at+": ") && c.line != 0 {
		t.Errorf("error text does not carry %s:\n%v", at, err)
	}
}

// hosts3 starts a lab with hosts h1, h2, h3 and a router r1 (lines 1-6).
var hosts3 = []string{
	"hosts:",
	"  h1: {}",
	"  h2: {}",
	"  h3: {}",
	"  r1: {forward: true}",
	"links:",
}

// sub replaces old by new in s, once.
func sub(s, old, new string) string { return strings.Replace(s, old, new, 1) }

// billionLaughs is the classic alias bomb: nine levels of nine aliases,
// 9^9 strings once expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		refs := strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ",")
		fmt.Fprintf(&b, "%c: &%c [%s]\n", c, c, refs)
		prev = string(c)
	}
	b.WriteString("hosts: *i\n")
	return b.String()
}

func withHosts(lines ...string) string {
	return y(append(append([]string(nil), hosts3...), lines...)...)
}

func TestParseInvalid(t *testing.T) {
	for _, c := range []invalidCase{
		// Shape of the file.
		{desc: "empty file", file: "empty.yaml", line: 1, msg: "the file is empty"},
		{desc: "only a comment", src: "# nothing\n", line: 1, msg: "the file is empty"},
		{desc: "only a document marker", src: "---\n", line: 1, msg: "the file is empty"},
		{desc: "top level is a list", src: y("- h1", "- h2"), line: 1, col: 1, msg: "the file must be a mapping", hint: ""},
		{desc: "top level is a scalar", src: y("hello"), line: 1, col: 1, msg: "the file must be a mapping"},
		{desc: "YAML syntax error", src: y("hosts:", "  h1: {}", "links:", "  - endpoints: [h1, h2", "    mtu: 1500"), line: 4, msg: "not valid YAML"},
		{desc: "tab indentation", src: y("hosts:", "\th1: {}"), line: 2, col: 1, msg: "tabs cannot indent YAML: line 2, column 1"},
		{desc: "two documents", src: y("name: lab1", "hosts: {h1: {}}", "---", "hosts: {h2: {}}"), line: 3, msg: "the file holds a second YAML document", hint: `remove this "---"`},
		{desc: "an empty second document", src: y("# lab", "---", "hosts: {h1: {}}", "---   # more"), line: 4, msg: "second YAML document"},
		{desc: "a second document that is no YAML", src: y("hosts: {h1: {}}", "---", "[oops"), line: 3, msg: "not valid YAML"},
		{desc: "NUL byte", src: y("hosts:", "  h1: {}", "  h\x002: {}"), line: 3, msg: "NUL byte"},
		{desc: "billion laughs", src: billionLaughs(), line: 1, msg: "expands to more than 1000000 YAML nodes", hint: "billion laughs"},
		{desc: "self-referencing alias", src: y("hosts: &h", "  h1: *h"), line: 1, msg: "expands to more than"},
		{desc: "duplicate top-level key", src: y("hosts:", "  h1: {}", "hosts:", "  h2: {}"), line: 3, col: 1, msg: `"hosts" is given twice`, hint: "line 1"},
		{desc: "duplicate host", src: y("hosts:", "  h1: {}", "  h1: {}"), line: 3, col: 3, msg: `"h1" is given twice`},
		{desc: "duplicate link field", src: withHosts("  - endpoints: [h1, h2]", "    mtu: 1400", "    mtu: 1500"), line: 9, col: 5, msg: `"mtu" is given twice`},

		// Unknown fields.
		{desc: "unknown top-level field", src: y("hots:", "  h1: {}"), line: 1, col: 1, msg: `unknown field "hots"`, hint: `did you mean "hosts"?`},
		{desc: "unknown host field", src: y("hosts:", "  h1:", "    fowrard: true"), line: 3, col: 5, msg: `host h1: unknown field "fowrard"`, hint: `did you mean "forward"?`},
		{desc: "unknown switch field", src: y("switches:", "  s1: {sbunet: 10.0.0.0/24}"), line: 2, col: 8, msg: `unknown field "sbunet"`, hint: `did you mean "subnet"?`},
		{desc: "unknown link field", src: withHosts("  - endpoints: [h1, h2]", "    addreses: [10.0.0.1/24, 10.0.0.2/24]"), line: 8, col: 5, msg: `link: unknown field "addreses"`, hint: `did you mean "addresses"?`},
		{desc: "unknown endpoint field", src: withHosts("  - endpoints:", "      - {node: h1, iface: eth0}", "      - h2"), line: 8, col: 20, msg: `unknown field "iface"`, hint: `did you mean "interface"?`},
		{desc: "unknown expect field", src: y("hosts: {h1: {}, h2: {}}", "expect:", "  - {from: h1, to: h2, rech: false}"), line: 3, col: 24, msg: `unknown field "rech"`, hint: `did you mean "reach"?`},
		{desc: "hosts as a list", src: y("hosts: [h1, h2]"), line: 1, col: 8, msg: "hosts must be a mapping"},

		// Names.
		{desc: "bad lab name", src: y("name: Lab_1"), line: 1, col: 7, msg: `lab name "Lab_1" is not valid`},
		{desc: "lab name too long", src: y("name: " + strings.Repeat("a", 33)), line: 1, col: 7, msg: "lab names are lower-case letters, digits and '-', starting with a letter or digit, at most 32 characters"},
		{desc: "lab name with slash", src: y("name: ../etc"), line: 1, col: 7, msg: "is not valid"},
		{desc: "file name is not a lab name", src: y("hosts: {h1: {}}"), file: "My Lab.yaml", line: 1, msg: "the lab needs a name", hint: "name: lab1"},
		{desc: "node name with underscore", src: y("hosts:", "  h_1: {}"), line: 2, col: 3, msg: `host name "h_1" is not valid`},
		{desc: "node name with ../", src: y("hosts:", `  "../x": {}`), line: 2, col: 3, msg: `host name "../x" is not valid`},
		{desc: "node name with slash", src: y("switches:", `  "a/b": {}`), line: 2, col: 3, msg: `switch name "a/b" is not valid`},
		{desc: "node name with escaped NUL", src: y("hosts:", `  "h\0": {}`), line: 2, col: 3, msg: "is not valid"},
		{desc: "node name too long", src: y("hosts:", "  "+strings.Repeat("h", 33)+": {}"), line: 2, col: 3, msg: "is not valid (at most 32"},
		{desc: "host and switch share a name", src: y("hosts:", "  x: {}", "switches:", "  x: {}"), line: 4, col: 3, msg: `"x" is both a host and a switch`, hint: "line 2"},

		// Links and endpoints.
		{desc: "unknown node in a link", src: y("hosts: {host1: {}, router: {}}", "links:", "  - endpoints: [host1, hots1]"), line: 3, col: 24, msg: `unknown node "hots1"`, hint: `did you mean "host1"?`},
		{desc: "unknown node, nothing close", src: y("hosts: {host1: {}}", "links:", "  - endpoints: [host1, zzzzzz]"), line: 3, col: 24, msg: `unknown node "zzzzzz"`, hint: "declare it"},
		{desc: "three endpoints", src: withHosts("  - endpoints: [h1, h2, h3]"), line: 7, col: 5, msg: "link has 3 endpoints"},
		{desc: "one endpoint", src: withHosts("  - endpoints: [h1]"), line: 7, col: 5, msg: "link has 1 endpoints"},
		{desc: "no endpoints", src: withHosts("  - mtu: 1500"), line: 7, col: 5, msg: "link has 0 endpoints"},
		{desc: "link to itself", src: withHosts("  - endpoints: [h1:eth0, h1:eth1]"), line: 7, col: 26, msg: "link from h1 to itself"},
		{desc: "interface used twice", src: withHosts("  - endpoints:", "      - h1:eth0", "      - h2", "  - endpoints:", "      - h3", "      - h1:eth0"), line: 12, col: 12, msg: "interface h1:eth0 is used twice", hint: "line 8"},
		{desc: "interface name of 16 bytes", src: withHosts("  - endpoints: [h1:abcdefghijklmnop, h2]"), line: 7, col: 20, msg: "is longer than 15 bytes"},
		{desc: "interface name with slash", src: withHosts("  - endpoints: [h1:eth/0, h2]"), line: 7, col: 20, msg: "has a character interface names cannot hold"},
		{desc: "interface name with space", src: withHosts("  - endpoints:", `      - {node: h1, interface: "eth 0"}`, "      - h2"), line: 8, col: 31, msg: "has a character"},
		{desc: "interface name ..", src: withHosts("  - endpoints: [h1:.., h2]"), line: 7, col: 20, msg: "is reserved"},
		{desc: "interface named lo", src: withHosts("  - endpoints: [h1:lo, h2]"), line: 7, col: 20, msg: "is reserved"},
		{desc: "interface named all", src: withHosts("  - endpoints: [h1, h2:all]"), line: 7, col: 24, msg: `interface "all" on h2 is reserved by the kernel`, hint: "kernel keeps lo, all, default"},
		{desc: "interface named default", src: withHosts("  - endpoints:", "      - {node: h1, interface: default}", "      - h2"), line: 8, col: 31, msg: `interface "default" on h1 is reserved`},
		{desc: "interface named bonding_masters", src: withHosts("  - endpoints: [h1:bonding_masters, h2]"), line: 7, col: 20, msg: "is reserved"},
		{desc: "interface named .", src: withHosts("  - endpoints: [h1:., h2]"), line: 7, col: 20, msg: "is reserved"},
		{desc: "endpoint without node", src: withHosts("  - endpoints:", "      - {interface: eth0}", "      - h2"), line: 8, col: 9, msg: "endpoint has no node"},
		{desc: "switch end with an interface", src: y("hosts: {h1: {}}", "switches: {s1: {}}", "links:", "  - endpoints: [h1, s1:eth3]"), line: 4, col: 24, msg: `an interface name ("eth3") on a switch end`, hint: `write just "s1"`},
		{desc: "address on a switch end (link list)", src: y("hosts: {h1: {}}", "switches: {s1: {}}", "links:", "  - endpoints: [h1, s1]", "    addresses: [10.0.0.1/24, 10.0.0.2/24]"), line: 5, col: 30, msg: "a switch end takes no address"},
		{desc: "address on a switch end (long form)", src: y("hosts: {h1: {}}", "switches: {s1: {}}", "links:", "  - endpoints:", "      - h1", "      - {node: s1, addresses: [10.0.0.2/24]}"), line: 6, col: 32, msg: "a switch end takes no address"},
		{desc: "MAC on a switch end", src: y("hosts: {h1: {}}", "switches: {s1: {}}", "links:", "  - endpoints:", "      - h1", "      - {node: s1, mac: \"02:00:00:00:00:01\"}"), line: 6, col: 25, msg: "a switch end takes no address or MAC"},
		{desc: "multicast MAC", src: withHosts("  - endpoints:", `      - {node: h1, mac: "03:00:00:00:00:01"}`, "      - h2"), line: 8, col: 25, msg: "is a multicast address", hint: "even first byte"},
		{desc: "malformed MAC", src: withHosts("  - endpoints:", `      - {node: h1, mac: "02:00:00:00:01"}`, "      - h2"), line: 8, col: 25, msg: "is not an Ethernet address"},
		{desc: "long MAC", src: withHosts("  - endpoints:", `      - {node: h1, mac: "02:00:00:00:00:00:00:01"}`, "      - h2"), line: 8, col: 25, msg: "is not an Ethernet address"},
		{desc: "zero MAC", src: withHosts("  - endpoints:", `      - {node: h1, mac: "00:00:00:00:00:00"}`, "      - h2"), line: 8, col: 25, msg: "is all zeros"},
		{desc: "mtu too large", src: withHosts("  - endpoints: [h1, h2]", "    mtu: 70000"), line: 8, col: 10, msg: "mtu must be a whole number from 68 to 65535"},
		{desc: "mtu too small", src: withHosts("  - endpoints: [h1, h2]", "    mtu: 67"), line: 8, col: 10, msg: "mtu must be a whole number"},
		{desc: "mtu not a number", src: withHosts("  - endpoints: [h1, h2]", "    mtu: jumbo"), line: 8, col: 10, msg: `not "jumbo"`},
		{desc: "bad state", src: withHosts("  - endpoints: [h1, h2]", "    state: sideways"), line: 8, col: 12, msg: `link state "sideways" is not valid`, hint: "up or down"},
		{desc: "too many switch ports", src: bigSwitch(MaxBridgePorts + 1), line: MaxBridgePorts + 4, col: 3, msg: "switch s1 has 1024 ports; a Linux bridge takes at most 1023"},

		// Addresses.
		{desc: "invalid CIDR", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.300/24, 10.0.1.2/24]"), line: 8, col: 17, msg: `"10.0.1.300/24" is not an address with a prefix length`},
		{desc: "prefix length out of range", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.1/33, 10.0.1.2/24]"), line: 8, col: 17, msg: "/33: an IPv4 prefix is at most 32"},
		{desc: "address without prefix length", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.1, 10.0.1.2/24]"), line: 8, col: 17, msg: `"10.0.1.1" is not an address with a prefix length`, hint: "add the prefix length: 10.0.1.1/24"},
		{desc: "network address", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.0/24, 10.0.1.2/24]"), line: 8, col: 17, msg: "is the network address"},
		{desc: "broadcast address", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.255/24, 10.0.1.2/24]"), line: 8, col: 17, msg: "is the broadcast address"},
		{desc: "one address entry for two hosts", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.1/24]"), line: 8, col: 5, msg: "link has 1 address entries for 2 addressable endpoints"},
		{desc: "addresses on link and endpoint", src: withHosts("  - endpoints:", "      - {node: h1, addresses: [10.0.1.1/24]}", "      - h2", "    addresses: [10.0.1.3/24, 10.0.1.2/24]"), line: 10, col: 17, msg: "h1 has addresses both in the link's addresses and in its endpoint"},
		{desc: "same address twice in the lab", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.1/24, 10.0.1.2/24]", "  - endpoints: [h3, r1]", "    addresses: [10.0.2.1/24, 10.0.1.1/24]"), line: 10, col: 30, msg: "address 10.0.1.1 is used twice: h1:eth0 and r1:eth0", hint: "line 8"},
		{desc: "same IPv6 address, other prefix length", src: withHosts("  - endpoints:", `      - {node: h1, addresses: ["fd00::1/64"]}`, "      - h2", "  - endpoints:", "      - h3", `      - {node: r1, addresses: ["fd00::1/120"]}`), line: 12, col: 32, msg: "address fd00::1 is used twice"},
		{desc: "overlapping subnets on one host", src: withHosts("  - endpoints: [h1, h2]", "    addresses: [10.0.1.1/24, 10.0.1.2/24]", "  - endpoints: [h1, h3]", "    addresses: [10.0.0.1/16, 10.0.0.2/16]"), line: 10, col: 17, msg: "h1: subnet 10.0.0.0/16 of h1:eth1 overlaps 10.0.1.0/24 of h1:eth0"},
		{desc: "subnet too small for its hosts", src: y("hosts: {h1: {}, h2: {}, h3: {}}", "switches:", "  s1: {subnet: 10.0.5.0/30}", "links:", "  - endpoints: [h1, s1]", "  - endpoints: [h2, s1]", "  - endpoints: [h3, s1]"), line: 3, col: 16, msg: "subnet 10.0.5.0/30 is too small: it has room for 2 hosts"},
		{desc: "link subnet with host bits", src: withHosts("  - endpoints: [h1, h2]", "    subnet: 10.0.7.1/24"), line: 8, col: 13, msg: "subnet 10.0.7.1/24 has host bits set", hint: "write 10.0.7.0/24"},
		{desc: "link subnet not a prefix", src: withHosts("  - endpoints: [h1, h2]", "    subnet: 10.0.7.0"), line: 8, col: 13, msg: `subnet "10.0.7.0" is not a prefix`},
		{desc: "two IPv4 subnets for one LAN", src: y("hosts: {h1: {}}", "switches:", "  s1: {subnet: 10.0.5.0/24}", "links:", "  - endpoints: [h1, s1]", "    subnet: 10.0.6.0/24"), line: 3, col: 16, msg: "a second IPv4 subnet"},
		{desc: "addressing pool runs out", src: y("addressing: {ipv4: 10.0.0.0/23}", "hosts: {h1: {}, h2: {}, h3: {}, h4: {}}", "links:", "  - endpoints: [h1, h2]", "  - endpoints: [h2, h3]", "  - endpoints: [h3, h4]"), line: 1, col: 20, msg: "addressing pool 10.0.0.0/23 ran out: no free /24 left for the link on line 6"},
		{desc: "addressing pool inside one explicit subnet", src: y(`addressing: {ipv6: "fd00::/8"}`, "hosts: {h1: {}, h2: {}, h3: {}, h4: {}}", "links:", "  - endpoints: [h1, h2]", `    addresses: ["fd00::1/8", "fd00::2/8"]`, "  - endpoints: [h3, h4]"), line: 1, col: 20, msg: "addressing pool fd00::/8 ran out: no free /64 left for the link on line 6"},
		{desc: "addressing pool of the wrong family", src: y("addressing: {ipv4: \"fd00::/48\"}"), line: 1, col: 20, msg: `addressing pool "fd00::/48" is not an IPv4 prefix`},
		{desc: "addressing pool with host bits", src: y("addressing: {ipv6: \"fd00::1/48\"}"), line: 1, col: 20, msg: "addressing pool fd00::1/48 has host bits set"},

		// Routes, sysctls and gateways.
		{desc: "route via a gateway no interface reaches", src: sub(withHosts("  - endpoints: [h1, r1]", "    addresses: [10.0.1.10/24, 10.0.1.1/24]"), "  h1: {}", "  h1: {routes: [{to: default, via: 10.0.2.1}]}"), line: 2, col: 36, msg: "host h1: route default via 10.0.2.1: no interface of h1 reaches 10.0.2.1"},
		{desc: "route via the host's own address", src: sub(withHosts("  - endpoints: [h1, r1]", "    addresses: [10.0.1.10/24, 10.0.1.1/24]"), "  h1: {}", "  h1: {routes: [{to: default, via: 10.0.1.10}]}"), line: 2, col: 36, msg: "the gateway 10.0.1.10 is h1's own address: a host cannot send to itself as a router"},
		{desc: "mixed-family route", src: y("hosts:", "  h1:", "    routes:", `      - {to: "fd00:9::/64", via: 10.0.1.1}`), line: 4, col: 9, msg: "route to fd00:9::/64 via 10.0.1.1 mixes address families"},
		{desc: "route destination with host bits", src: y("hosts:", "  h1:", "    routes:", "      - {to: 10.0.9.1/24, via: 10.0.1.1}"), line: 4, col: 14, msg: "route to 10.0.9.1/24 has host bits set", hint: "write 10.0.9.0/24"},
		{desc: "route destination not a subnet", src: y("hosts:", "  h1:", "    routes:", "      - {to: everywhere, via: 10.0.1.1}"), line: 4, col: 14, msg: `route to "everywhere" is not a subnet`},
		{desc: "route via with prefix length", src: y("hosts:", "  h1:", "    routes:", "      - {to: default, via: 10.0.1.1/24}"), line: 4, col: 28, msg: `route via "10.0.1.1/24" is not an address`},
		{desc: "route without destination", src: y("hosts:", "  h1:", "    routes:", "      - {via: 10.0.1.1}"), line: 4, col: 9, msg: "route has no destination"},
		{desc: "two default routes", src: y("hosts:", "  h2: {}", "  h3: {}", "  h1:", "    routes:", "      - {to: default, via: 10.0.1.1}", "      - {to: 0.0.0.0/0, via: 10.0.2.1}", "links:", "  - endpoints: [h1, h2]", "    addresses: [10.0.1.10/24, 10.0.1.1/24]", "  - endpoints: [h1, h3]", "    addresses: [10.0.2.10/24, 10.0.2.1/24]"), line: 7, col: 14, msg: "host h1: two routes to default", hint: "line 6"},
		{desc: "non-net sysctl", src: y("hosts:", "  h1:", "    sysctls:", `      kernel.panic: "1"`), line: 4, col: 7, msg: `sysctl "kernel.panic" is not a network sysctl`},
		{desc: "sysctl without value", src: y("hosts:", "  h1:", "    sysctls:", "      net.ipv4.ip_forward: ~"), line: 4, col: 7, msg: "host h1: sysctl net.ipv4.ip_forward has no value"},
		{desc: "sysctl with slash", src: y("hosts:", "  h1:", "    sysctls:", `      net.ipv4/../../kernel: "1"`), line: 4, col: 7, msg: "may hold only"},
		{desc: "sysctl with empty part", src: y("hosts:", "  h1:", "    sysctls:", `      net..ipv4: "1"`), line: 4, col: 7, msg: "has an empty part"},
		{desc: "gateway auto with no router", src: y("gateway: auto", "hosts: {h1: {}, h2: {}}", "links:", "  - endpoints: [h1, h2]", "    addresses: [10.0.0.1/24, 10.0.0.2/24]"), line: 1, col: 10, msg: "host h1: gateway: auto found no router"},
		{desc: "gateway auto with several routers", file: "invalid-gateway-several-routers.yaml", line: 4, col: 14, msg: "host h1: gateway: auto found several IPv4 routers on its subnets ([r1 r2])"},
		{desc: "gateway value not auto", src: y("hosts:", "  h1: {gateway: 10.0.0.1}"), line: 2, col: 17, msg: `gateway "10.0.0.1" is not valid`},

		// Expectations.
		{desc: "expectation from unknown node", src: y("hosts: {host1: {}, host2: {}}", "expect:", "  - {from: hots1, to: host2}"), line: 3, col: 12, msg: `expectation from "hots1": no such host`, hint: `did you mean "host1"?`},
		{desc: "expectation to unknown node", src: y("hosts: {host1: {}}", "expect:", "  - {from: host1, to: nowhere}"), line: 3, col: 23, msg: `expectation to "nowhere": neither a host nor an IP address`},
		{desc: "expectation without to", src: y("hosts: {h1: {}}", "expect:", "  - {from: h1}"), line: 3, col: 5, msg: "an expectation needs both from and to"},
		{desc: "expectation ttl with reach false", src: y("hosts: {h1: {}, h2: {}}", "expect:", "  - {from: h1, to: h2, reach: false, ttl: 64}"), line: 3, col: 43, msg: "an expectation with reach: false cannot check a ttl"},
		{desc: "expectation reach not a boolean", src: y("hosts: {h1: {}, h2: {}}", "expect:", "  - {from: h1, to: h2, reach: maybe}"), line: 3, col: 31, msg: `expect reach must be true or false, not "maybe"`},
		{desc: "expectation ttl out of range", src: y("hosts: {h1: {}, h2: {}}", "expect:", "  - {from: h1, to: h2, ttl: 256}"), line: 3, col: 29, msg: "expect ttl must be a whole number from 1 to 255"},
	} {
		t.Run(c.desc, c.run)
	}
}

// bigSwitch is a lab of n hosts on switch s1; the switch is declared on
// line n+3.
func bigSwitch(n int) string {
	var b strings.Builder
	b.WriteString("hosts:\n")
	for i := range n {
		fmt.Fprintf(&b, "  h%d: {}\n", i)
	}
	b.WriteString("switches:\n  s1: {}\nlinks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - endpoints: [h%d, s1]\n", i)
	}
	return b.String()
}

// TestParseReportsAll checks that one run reports every problem of a
// file, each with its own line, in file order.
func TestParseReportsAll(t *testing.T) {
	src := y(
		"nmae: lab1", // 1
		"hosts:",
		"  h1: {fowrard: true}", // 3
		"  h_2: {}",             // 4
		"links:",
		"  - endpoints: [h1, h3]", // 6
		"  - endpoints: [h1, h1]", // 7
		"    mtu: 1",              // 8
	)
	_, _, err := Parse("lab.yaml", []byte(src))
	if err == nil {
		t.Fatal("Parse accepted a broken file")
	}
	ps := problemsOf(t, err)
	for _, want := range []struct {
		line int
		msg  string
	}{
		{1, `unknown field "nmae"`},
		{3, `unknown field "fowrard"`},
		{4, `host name "h_2" is not valid`},
		{6, `unknown node "h3"`},
		{7, "link from h1 to itself"},
		{8, "mtu must be"},
	} {
		if _, ok := findProblem(ps, want.line, want.msg); !ok {
			t.Errorf("missing problem on line %d: %q", want.line, want.msg)
		}
	}
	text := err.Error()
	if i, j := strings.Index(text, "lab.yaml:1:"), strings.Index(text, "lab.yaml:8:"); i < 0 || j < i {
		t.Errorf("problems not listed in file order:\n%s", text)
	}
	for _, p := range ps {
		if p.Hint == "" {
			t.Errorf("problem without a hint: %s", p)
		}
	}
}

// TestProblemsShowOneLine: a file that is no lab (`topo down -f
// /etc/passwd`) is not echoed whole: a problem quotes at most the first
// line of the value at fault, cut at shownLen characters.
func TestProblemsShowOneLine(t *testing.T) {
	for _, tc := range []struct {
		desc, src, want string
	}{
		{"a plain scalar over lines", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2\n", `not "root:x:0:0:root:/root:/bin/bash…"`},
		{"a long line", strings.Repeat("x", 500) + "\n", `not "` + strings.Repeat("x", shownLen) + `…"`},
		{"a literal block", "hosts: |\n  first\n  second\n", `hosts must be a mapping (key: value), not "first…"`},
		{"a long key", "hosts:\n  h1: {" + strings.Repeat("k", 300) + ": 1}\n", `unknown field "` + strings.Repeat("k", shownLen) + `…"`},
		{"a value on its line", "hosts: {h1: {forward: sure}}\n", `not "sure"`},
	} {
		_, _, err := Parse("f.yaml", []byte(tc.src))
		if err == nil {
			t.Errorf("%s: accepted", tc.desc)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: problem does not say %s:\n%s", tc.desc, tc.want, msg)
		}
		for _, leak := range []string{"daemon", "second", strings.Repeat("x", shownLen+1), strings.Repeat("k", shownLen+1)} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: problem quotes more than the first line (%q):\n%s", tc.desc, leak, msg)
			}
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	_, _, err := Parse("big.yaml", make([]byte, MaxFileSize+1))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestLoad(t *testing.T) {
	if _, _, err := Load("testdata/no-such-file.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, _, err := Load("testdata/empty.yaml")
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Pos.File != "testdata/empty.yaml" {
		t.Errorf("empty file: %v", err)
	}
	lab, _, err := Load("../../examples/tree-2-4.yaml")
	if err != nil || lab.Name != "tree-2-4" || len(lab.Links) == 0 {
		t.Errorf("example: %v", err)
	}
}
