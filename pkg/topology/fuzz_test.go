package topology

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"
)

// FuzzParse feeds arbitrary files to Parse. It must never panic or
// hang; every problem it reports must carry a line (and a column, if
// any, within that line) and a hint; and a
// lab it accepts must hold the invariants the executor relies on, and
// come out the same when parsed again.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"hosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1, h2]\n",
		"addressing: {ipv4: 10.0.0.0/16, ipv6: \"fd00::/48\"}\ngateway: auto\nhosts: {h1: {}, r1: {forward: true}}\nswitches: {s1: {}}\nlinks:\n  - endpoints: [h1, s1]\n  - endpoints: [r1, s1]\n",
		"hosts: &a {h1: *a}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lab, warns, err := Parse("fuzz.yaml", data)
		if err != nil {
			if lab != nil {
				t.Fatal("a lab came back with an error")
			}
			ps, ok := err.(Problems)
			if !ok || len(ps.Errors()) == 0 {
				t.Fatalf("error is not a list of problems: %T %v", err, err)
			}
			lines := yamlLines(data)
			for _, p := range ps {
				if p.Pos.Line < 1 || p.Hint == "" || p.Msg == "" {
					t.Fatalf("problem without line or hint: %q", p)
				}
				if p.Pos.Col != 0 && (p.Pos.Line > len(lines) || p.Pos.Col < 1 || p.Pos.Col > len(lines[p.Pos.Line-1])+1) {
					t.Fatalf("problem points past its line: %q", p)
				}
			}
			return
		}
		for _, w := range warns {
			if !w.Warning {
				t.Fatalf("an error among the warnings of a valid lab: %s", w)
			}
		}
		checkLab(t, lab)
		again, _, _ := Parse("fuzz.yaml", data)
		a, _ := json.Marshal(lab)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("parsing twice gives different labs:\n%s\n%s", a, b)
		}
	})
}

// checkLab re-validates a lab Parse accepted.
func checkLab(t *testing.T, lab *Lab) {
	t.Helper()
	if !ValidLabName(lab.Name) {
		t.Fatalf("lab name %q", lab.Name)
	}
	nodes := map[string]*Node{}
	for _, n := range lab.Nodes {
		if !nodeNameRE.MatchString(n.Name) || len(n.Name) > maxNodeName {
			t.Fatalf("node name %q", n.Name)
		}
		if nodes[n.Name] != nil {
			t.Fatalf("node %q twice", n.Name)
		}
		nodes[n.Name] = n
		for k := range n.Sysctls {
			if CheckSysctlKey(k) != "" {
				t.Fatalf("sysctl %q", k)
			}
		}
	}
	ifaces := map[string]bool{}
	addrs := map[netip.Addr]bool{}
	ports := map[string]int{}
	for _, l := range lab.Links {
		if len(l.Ends) != 2 || l.Ends[0].Node == l.Ends[1].Node {
			t.Fatalf("link %v", l.Ends)
		}
		if l.MTU < 68 || l.MTU > 65535 {
			t.Fatalf("mtu %d", l.MTU)
		}
		for _, e := range l.Ends {
			n := nodes[e.Node]
			if n == nil {
				t.Fatalf("link end on unknown node %q", e.Node)
			}
			if msg := checkIfaceName(e.Interface); e.Interface == "" || msg != "" {
				t.Fatalf("interface %q: %s", e, msg)
			}
			if n.Kind == KindSwitch {
				ports[e.Node]++
				if len(e.Addresses) > 0 || e.MAC != nil || e.Interface == bridgeDevice {
					t.Fatalf("switch end %s: %v %v", e, e.Addresses, e.MAC)
				}
			}
			if ifaces[e.String()] {
				t.Fatalf("interface %s twice", e)
			}
			ifaces[e.String()] = true
			if e.MAC != nil && (len(e.MAC) != 6 || e.MAC[0]&1 == 1) {
				t.Fatalf("mac %s", e.MAC)
			}
			for _, p := range e.Addresses {
				if addrs[p.Addr()] {
					t.Fatalf("address %s twice", p.Addr())
				}
				addrs[p.Addr()] = true
				if !p.IsValid() || checkHostAddr(p) != "" {
					t.Fatalf("address %s on %s", p, e)
				}
			}
		}
	}
	for name, n := range ports {
		if n > MaxBridgePorts {
			t.Fatalf("switch %s has %d ports", name, n)
		}
	}
	for _, n := range lab.Nodes {
		var prefixes []netip.Prefix
		for _, e := range lab.Interfaces(n.Name) {
			prefixes = append(prefixes, e.Addresses...)
		}
		for _, r := range n.Routes {
			if n.Kind != KindHost || !onLink(prefixes, r.Via) || r.To != r.To.Masked() || r.To.Addr().Is4() != r.Via.Is4() {
				t.Fatalf("route %s on %s", r, n.Name)
			}
		}
	}
	for _, e := range lab.Expect {
		if nodes[e.From] == nil || nodes[e.From].Kind != KindHost || (e.TTL != 0 && !e.Reach) {
			t.Fatalf("expectation %+v", e)
		}
	}
}

// yamlLines splits data into lines as the YAML parser counts them: "\r\n",
// a lone "\r", and the Unicode breaks NEL, LS and PS each end one.
func yamlLines(data []byte) [][]byte {
	for _, br := range []string{"\r\n", "\r", "\u0085", "\u2028", "\u2029"} {
		data = bytes.ReplaceAll(data, []byte(br), []byte("\n"))
	}
	return bytes.Split(data, []byte("\n"))
}
