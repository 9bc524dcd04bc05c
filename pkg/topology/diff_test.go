package topology

import (
	"net/netip"
	"strings"
	"testing"
)

const diffBase = `
name: d
hosts:
  h1: {}
  h2: {}
  r1: {forward: true}
switches:
  s1: {}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.0.1.10/24, 10.0.1.1/24]
  - endpoints: [h2, s1]
    addresses: [10.0.2.10/24]
  - endpoints: [r1:eth1, s1]
    addresses: [10.0.2.1/24]
`

func parseLab(t *testing.T, src string) *Lab {
	t.Helper()
	l, _, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return l
}

// observedFrom builds the Observed state a kernel would hold after
// applying l exactly.
func observedFrom(l *Lab) *Observed {
	o := &Observed{Nodes: map[string]*ObservedNode{}}
	idx := 10
	for _, n := range l.Nodes {
		on := &ObservedNode{Name: n.Name, LoopbackUp: true, Ifaces: map[string]*ObservedIface{}, Sysctls: map[string]string{}}
		for k, v := range EffectiveSysctls(n) {
			on.Sysctls[k] = v
		}
		on.Routes = append(on.Routes, n.Routes...)
		if n.Kind == KindSwitch {
			c := BridgeConfOf(n)
			on.Ifaces[bridgeDevice] = &ObservedIface{Name: bridgeDevice, Kind: "bridge", AdminUp: true, MTU: 1500, Bridge: &c}
		}
		o.Nodes[n.Name] = on
	}
	for _, lk := range l.Links {
		a, b := idx, idx+1
		idx += 2
		for i, e := range lk.Ends {
			if i == 1 && lk.Tunnel != nil {
				break // the far end is another machine's
			}
			self, peer := a, b
			if i == 1 {
				self, peer = b, a
			}
			oi := &ObservedIface{Name: e.Interface, Kind: "veth", Index: self, PeerIndex: peer, MTU: lk.MTU, AdminUp: !lk.Down, MAC: []byte(e.MAC), Addresses: append([]netip.Prefix(nil), e.Addresses...)}
			if lk.Tunnel != nil {
				t := *lk.Tunnel
				t.Site = ""
				oi.Kind, oi.PeerIndex, oi.VXLAN = "vxlan", 0, &t
			}
			if l.Node(e.Node).Kind == KindSwitch {
				oi.Master = bridgeDevice
			}
			o.Nodes[e.Node].Ifaces[e.Interface] = oi
		}
	}
	return o
}

func steps(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.String())
	}
	return out
}

func TestDiffNewLab(t *testing.T) {
	l := parseLab(t, diffBase)
	p := Diff(l, Current{})
	var nodes, links, fwd int
	for _, s := range p.Steps {
		switch s.Op {
		case OpCreateNode:
			nodes++
		case OpCreateLink:
			links++
		case OpSetSysctl:
			if s.Node != "r1" || s.Value != "1" {
				t.Errorf("unexpected sysctl step %s", s)
			}
			fwd++
		case OpAddRoute, OpRunExec:
		default:
			t.Errorf("unexpected step for a new lab: %s", s)
		}
	}
	if nodes != 4 || links != 3 || fwd != 2 {
		t.Errorf("got %d nodes, %d links, %d forwarding sysctls; want 4, 3, 2:\n%s", nodes, links, fwd, strings.Join(steps(p), "\n"))
	}
	for i := 1; i < len(p.Steps); i++ {
		if phase(p.Steps[i].Op) < phase(p.Steps[i-1].Op) {
			t.Fatalf("steps out of phase order: %s before %s", p.Steps[i-1], p.Steps[i])
		}
	}
}

func TestDiffNoChange(t *testing.T) {
	l := parseLab(t, diffBase)
	p := Diff(l, Current{Applied: l, Observed: observedFrom(l)})
	if !p.Empty() {
		t.Fatalf("unchanged lab planned steps:\n%s", strings.Join(steps(p), "\n"))
	}
}

func TestDiffChanges(t *testing.T) {
	base := parseLab(t, diffBase)
	tests := []struct {
		desc   string
		edit   func(string) string // change to the file
		tamper func(o *Observed)   // change behind topo's back
		want   []string            // substrings, one per expected step, in order
	}{
		{
			desc: "add a host and a link",
			edit: func(s string) string {
				return strings.Replace(s, "  h2: {}\n", "  h2: {}\n  h3: {}\n", 1) + "  - endpoints: [h3, s1]\n    addresses: [10.0.2.30/24]\n"
			},
			want: []string{"+ node h3", "+ link h3:eth0 <-> s1:h3-eth0"},
		},
		{
			desc: "remove a host",
			edit: func(s string) string {
				s = strings.Replace(s, "  h2: {}\n", "", 1)
				return strings.Replace(s, "  - endpoints: [h2, s1]\n    addresses: [10.0.2.10/24]\n", "", 1)
			},
			want: []string{"- link h2:eth0 <-> s1:h2-eth0  (node h2 removed)", "- node h2"},
		},
		{
			desc: "remove a router with links to two survivors",
			edit: func(s string) string {
				s = strings.Replace(s, "  r1: {forward: true}\n", "", 1)
				s = strings.Replace(s, "  - endpoints: [h1:eth0, r1:eth0]\n    addresses: [10.0.1.10/24, 10.0.1.1/24]\n", "", 1)
				return strings.Replace(s, "  - endpoints: [r1:eth1, s1]\n    addresses: [10.0.2.1/24]\n", "", 1)
			},
			want: []string{"- link h1:eth0 <-> r1:eth0  (node r1 removed)", "- link r1:eth1 <-> s1:r1-eth1  (node r1 removed)", "- node r1"},
		},
		{
			desc: "change an address",
			edit: func(s string) string { return strings.Replace(s, "10.0.1.10/24", "10.0.1.11/24", 1) },
			want: []string{"- h1:eth0 address 10.0.1.10/24", "+ h1:eth0 address 10.0.1.11/24"},
		},
		{
			desc: "change the MTU",
			edit: func(s string) string {
				return strings.Replace(s, "addresses: [10.0.1.10/24, 10.0.1.1/24]", "addresses: [10.0.1.10/24, 10.0.1.1/24]\n    mtu: 9000", 1)
			},
			want: []string{"~ h1:eth0 mtu 9000", "~ r1:eth0 mtu 9000"},
		},
		{
			desc: "set a link down in the file",
			edit: func(s string) string {
				return strings.Replace(s, "addresses: [10.0.1.10/24, 10.0.1.1/24]", "addresses: [10.0.1.10/24, 10.0.1.1/24]\n    state: down", 1)
			},
			want: []string{"~ h1:eth0 down", "~ r1:eth0 down"},
		},
		{
			desc: "turn forwarding off",
			edit: func(s string) string { return strings.Replace(s, "r1: {forward: true}", "r1: {}", 1) },
			want: []string{"sysctl net.ipv4.ip_forward = 0", "sysctl net.ipv6.conf.all.forwarding = 0"},
		},
		{
			desc: "add a route",
			edit: func(s string) string {
				return strings.Replace(s, "  h1: {}\n", "  h1:\n    routes: [{to: default, via: 10.0.1.1}]\n", 1)
			},
			want: []string{"+ h1 route default via 10.0.1.1"},
		},
		{
			desc: "drift: a veth deleted by hand",
			tamper: func(o *Observed) {
				delete(o.Nodes["h1"].Ifaces, "eth0")
				delete(o.Nodes["r1"].Ifaces, "eth0")
			},
			want: []string{"+ link h1:eth0 <-> r1:eth0  (drift: link missing)"},
		},
		{
			desc:   "drift: half a veth pair left",
			tamper: func(o *Observed) { delete(o.Nodes["h1"].Ifaces, "eth0") },
			want:   []string{"- link h1:eth0 <-> r1:eth0", "+ link h1:eth0 <-> r1:eth0"},
		},
		{
			desc:   "drift: an address removed",
			tamper: func(o *Observed) { o.Nodes["h2"].Ifaces["eth0"].Addresses = nil },
			want:   []string{"+ h2:eth0 address 10.0.2.10/24  (drift"},
		},
		{
			desc:   "drift: a link set down",
			tamper: func(o *Observed) { o.Nodes["h1"].Ifaces["eth0"].AdminUp = false },
			want:   []string{"~ h1:eth0 up  (drift"},
		},
		{
			desc:   "drift: a namespace deleted",
			tamper: func(o *Observed) { delete(o.Nodes, "h2") },
			want:   []string{"- link h2:eth0 <-> s1:h2-eth0  (drift: peer namespace recreated)", "+ node h2  (drift: namespace missing)", "+ link h2:eth0 <-> s1:h2-eth0"},
		},
		{
			desc:   "drift: a port left the bridge",
			tamper: func(o *Observed) { o.Nodes["s1"].Ifaces["h2-eth0"].Master = "" },
			want:   []string{"~ s1:h2-eth0 master br0"},
		},
		{
			desc:   "drift: forwarding turned off",
			tamper: func(o *Observed) { o.Nodes["r1"].Sysctls[SysctlForwardV4] = "0" },
			want:   []string{"~ r1 sysctl net.ipv4.ip_forward = 1  (drift"},
		},
		{
			desc:   "drift: a lab default changed by hand",
			tamper: func(o *Observed) { o.Nodes["h1"].Sysctls["net.ipv4.conf.all.rp_filter"] = "1" },
			want:   []string{"~ h1 sysctl net.ipv4.conf.all.rp_filter = 0  (drift: sysctl 1 -> 0, the lab default)"},
		},
		{
			desc:   "drift: a switch's lab default changed by hand",
			tamper: func(o *Observed) { o.Nodes["s1"].Sysctls = map[string]string{"net.ipv6.conf.default.accept_dad": "1"} },
			want:   []string{"~ s1 sysctl net.ipv6.conf.default.accept_dad = 0  (drift"},
		},
		{
			desc:   "drift: the bridge set down",
			tamper: func(o *Observed) { o.Nodes["s1"].Ifaces[bridgeDevice].AdminUp = false },
			want:   []string{"~ s1:br0 up  (drift: bridge down)"},
		},
		{
			desc: "drift: an address on the bridge",
			tamper: func(o *Observed) {
				o.Nodes["s1"].Ifaces[bridgeDevice].Addresses = []netip.Prefix{netip.MustParsePrefix("10.0.2.99/24")}
			},
			want: []string{"- s1:br0 address 10.0.2.99/24"},
		},
		{
			desc:   "drift: the bridge's ageing time changed",
			tamper: func(o *Observed) { o.Nodes["s1"].Ifaces[bridgeDevice].Bridge.AgeingTime = 1000 },
			want:   []string{"~ s1 bridge stp off  (drift: bridge ageing_time 10s -> 300s)"},
		},
		{
			desc:   "drift: spanning tree turned on by hand",
			tamper: func(o *Observed) { o.Nodes["s1"].Ifaces[bridgeDevice].Bridge.STP = true },
			want:   []string{"~ s1 bridge stp off  (drift: bridge stp on -> off)"},
		},
		{
			desc:   "drift: a qdisc added by hand",
			tamper: func(o *Observed) { o.Nodes["h1"].Ifaces["eth0"].ForeignQdisc = "pfifo" },
			want:   []string{"~ h1:eth0 impair none  (drift: qdisc pfifo not made by topo)"},
		},
		{
			desc: "turn spanning tree on in the file",
			edit: func(s string) string { return strings.Replace(s, "s1: {}", "s1: {stp: true}", 1) },
			want: []string{"~ s1 bridge stp on  (changed: bridge stp off -> on, forward_delay 15s -> 2s)"},
		},
		{
			desc: "drift: a foreign address added",
			tamper: func(o *Observed) {
				o.Nodes["h1"].Ifaces["eth0"].Addresses = append(o.Nodes["h1"].Ifaces["eth0"].Addresses, netip.MustParsePrefix("192.0.2.1/24"))
			},
			want: []string{"- h1:eth0 address 192.0.2.1/24"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			desired := base
			if tc.edit != nil {
				desired = parseLab(t, tc.edit(diffBase))
			}
			obs := observedFrom(base)
			if tc.tamper != nil {
				tc.tamper(obs)
			}
			matchSteps(t, steps(Diff(desired, Current{Applied: base, Observed: obs})), tc.want)
		})
	}
}

// matchSteps fails t unless got has one step per want, in order, each
// containing its want (spaces folded).
func matchSteps(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(squash(got[i]), squash(w)) {
			t.Errorf("step %d = %q, want it to contain %q", i, got[i], w)
		}
	}
}

// squash folds runs of spaces so expectations ignore column padding.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestDiffRestoresRemovedSysctl(t *testing.T) {
	with := parseLab(t, strings.Replace(diffBase, "  h1: {}\n", "  h1: {sysctls: {net.ipv4.icmp_echo_ignore_all: \"1\"}}\n", 1))
	without := parseLab(t, diffBase)
	obs := observedFrom(with)
	p := Diff(without, Current{Applied: with, Observed: obs, SysctlOriginal: map[string]map[string]string{"h1": {"net.ipv4.icmp_echo_ignore_all": "0"}}})
	got := steps(p)
	if len(got) != 1 || !strings.Contains(got[0], "icmp_echo_ignore_all = 0") {
		t.Fatalf("want one step restoring icmp_echo_ignore_all to 0, got:\n%s", strings.Join(got, "\n"))
	}
}

// TestDiffInterfaceSysctlOnNewInterface: a setting of one interface is
// written again when the plan makes that interface anew (its observed
// value belongs to the interface that goes), and one of an interface
// that is gone is simply missing.
func TestDiffInterfaceSysctlOnNewInterface(t *testing.T) {
	l := parseLab(t, strings.Replace(diffBase, "  h1: {}\n", "  h1: {sysctls: {net.ipv4.conf.eth0.rp_filter: \"1\"}}\n", 1))
	key := "net.ipv4.conf.eth0.rp_filter"
	obs := observedFrom(l)
	delete(obs.Nodes["r1"].Ifaces, "eth0") // half a pair: the link is made again
	matchSteps(t, steps(Diff(l, Current{Applied: l, Observed: obs})), []string{
		"- link h1:eth0 <-> r1:eth0", "+ link h1:eth0 <-> r1:eth0", "~ h1 sysctl " + key + " = 1",
	})
	obs = observedFrom(l)
	delete(obs.Nodes["h1"].Ifaces, "eth0")
	delete(obs.Nodes["r1"].Ifaces, "eth0")
	delete(obs.Nodes["h1"].Sysctls, key) // the kernel has no such key while eth0 is gone
	matchSteps(t, steps(Diff(l, Current{Applied: l, Observed: obs})), []string{
		"+ link h1:eth0 <-> r1:eth0", "~ h1 sysctl " + key + " = 1",
	})
}
