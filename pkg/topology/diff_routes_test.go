package topology

import (
	"net/netip"
	"strings"
	"testing"
)

// routeBase is diffBase with a route on h1 through its link to r1.
var routeBase = strings.Replace(diffBase, "  h1: {}\n", "  h1:\n    routes: [{to: 10.9.0.0/24, via: 10.0.1.1}]\n", 1)

// TestDiffRoutes pins the routes the planner adds again because the
// kernel drops them as a side effect of another step, holds back while
// their link is down, and replaces when made by hand.
func TestDiffRoutes(t *testing.T) {
	base := parseLab(t, routeBase)
	tests := []struct {
		desc   string
		edit   func(string) string
		tamper func(o *Observed)
		// applied, when set, is the file last applied (default: routeBase).
		applied string
		want    []string
		notes   []string
	}{
		{
			desc: "readdress the interface the route goes through",
			edit: func(s string) string { return strings.Replace(s, "10.0.1.10/24", "10.0.1.11/24", 1) },
			want: []string{"- h1:eth0 address 10.0.1.10/24", "+ h1:eth0 address 10.0.1.11/24", "+ h1 route 10.9.0.0/24 via 10.0.1.1  (again: address 10.0.1.10/24 removed)"},
		},
		{
			desc: "set the route's link down in the file: the route is held",
			edit: func(s string) string {
				return strings.Replace(s, "addresses: [10.0.1.10/24, 10.0.1.1/24]", "addresses: [10.0.1.10/24, 10.0.1.1/24]\n    state: down", 1)
			},
			want:  []string{"~ h1:eth0 down", "~ r1:eth0 down"},
			notes: []string{"h1 route 10.9.0.0/24 via 10.0.1.1: held while h1:eth0 is down"},
		},
		{
			desc:    "set the route's link up again: the route comes back",
			applied: strings.Replace(routeBase, "addresses: [10.0.1.10/24, 10.0.1.1/24]", "addresses: [10.0.1.10/24, 10.0.1.1/24]\n    state: down", 1),
			edit:    func(s string) string { return s },
			tamper: func(o *Observed) {
				o.Nodes["h1"].Ifaces["eth0"].AdminUp, o.Nodes["r1"].Ifaces["eth0"].AdminUp = false, false
				o.Nodes["h1"].Routes = nil
			},
			want: []string{"~ h1:eth0 up", "~ r1:eth0 up", "+ h1 route 10.9.0.0/24 via 10.0.1.1"},
		},
		{
			desc: "drift: link set down and up by hand, route lost",
			tamper: func(o *Observed) {
				o.Nodes["h1"].Routes = nil
			},
			want: []string{"+ h1 route 10.9.0.0/24 via 10.0.1.1  (drift: route missing)"},
		},
		{
			desc:   "drift: link set down by hand, route still listed",
			tamper: func(o *Observed) { o.Nodes["h1"].Ifaces["eth0"].AdminUp = false },
			want:   []string{"~ h1:eth0 up", "+ h1 route 10.9.0.0/24 via 10.0.1.1  (again: link set up)"},
		},
		{
			desc: "move the link to another interface of h1",
			edit: func(s string) string { return strings.Replace(s, "[h1:eth0, r1:eth0]", "[h1:eth1, r1:eth0]", 1) },
			want: []string{"- link h1:eth0 <-> r1:eth0", "+ link h1:eth1 <-> r1:eth0", "+ h1 route 10.9.0.0/24 via 10.0.1.1  (again: link h1:eth1 <-> r1:eth0 made)"},
		},
		{
			desc: "drift: r1's namespace deleted by hand, h1 keeps its end",
			tamper: func(o *Observed) {
				delete(o.Nodes, "r1")
			},
			want: []string{"- link h1:eth0 <-> r1:eth0  (drift: peer namespace recreated)", "- link r1:eth1 <-> s1:r1-eth1", "+ node r1", "+ link h1:eth0 <-> r1:eth0", "+ link r1:eth1 <-> s1:r1-eth1", "~ r1 sysctl", "~ r1 sysctl", "+ h1 route 10.9.0.0/24 via 10.0.1.1  (again: link h1:eth0 <-> r1:eth0 recreated)"},
		},
		{
			desc: "drift: route replaced by hand through another gateway",
			tamper: func(o *Observed) {
				o.Nodes["h1"].Routes = []Route{{To: netip.MustParsePrefix("10.9.0.0/24"), Via: netip.MustParseAddr("10.0.1.99"), Proto: 3}}
			},
			want: []string{"- h1 route 10.9.0.0/24 via 10.0.1.99 proto boot  (drift: route not made by topo)", "+ h1 route 10.9.0.0/24 via 10.0.1.1  (drift: route missing)"},
		},
		{
			desc: "drift: a blackhole route added by hand",
			tamper: func(o *Observed) {
				o.Nodes["h2"].Routes = []Route{{To: netip.MustParsePrefix("10.5.0.0/24"), Type: "blackhole", Proto: 3}}
			},
			want: []string{"- h2 route blackhole 10.5.0.0/24 proto boot  (drift: route not made by topo)"},
		},
		{
			desc: "the same route re-made by hand (proto boot) is the file's route",
			tamper: func(o *Observed) {
				o.Nodes["h1"].Routes = []Route{{To: netip.MustParsePrefix("10.9.0.0/24"), Via: netip.MustParseAddr("10.0.1.1"), Proto: 3}}
			},
		},
		{
			desc: "an MTU change keeps the routes",
			edit: func(s string) string {
				return strings.Replace(s, "addresses: [10.0.1.10/24, 10.0.1.1/24]", "addresses: [10.0.1.10/24, 10.0.1.1/24]\n    mtu: 9000", 1)
			},
			want: []string{"~ h1:eth0 mtu 9000", "~ r1:eth0 mtu 9000"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			applied := base
			if tc.applied != "" {
				applied = parseLab(t, tc.applied)
			}
			desired := applied
			if tc.edit != nil {
				desired = parseLab(t, tc.edit(routeBase))
			}
			obs := observedFrom(applied)
			if tc.tamper != nil {
				tc.tamper(obs)
			}
			p := Diff(desired, Current{Applied: applied, Observed: obs})
			matchSteps(t, steps(p), tc.want)
			if len(p.Notes) != len(tc.notes) {
				t.Fatalf("notes: got %q, want %q", p.Notes, tc.notes)
			}
			for i, w := range tc.notes {
				if !strings.Contains(p.Notes[i], w) {
					t.Errorf("note %d = %q, want it to contain %q", i, p.Notes[i], w)
				}
			}
		})
	}
}
