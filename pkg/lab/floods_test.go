package lab

import (
	"net/netip"
	"testing"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

func TestOverBacklog(t *testing.T) {
	l := generated(t, "tree", 2, 8)
	// 64 hosts and 9 switches: 73 copies of each broadcast.
	if over := overBacklog(l, 146); len(over) != 0 {
		t.Errorf("73 copies, backlog 146: %v over it", over)
	}
	over := overBacklog(l, 145)
	if len(over) != 9 || !over["s1"] || !over["s9"] || over["h1"] {
		t.Errorf("73 copies on s1..s9, backlog 145: over it %v; want the 9 switches", over)
	}
}

// TestPaceFloods: probes in flight are bounded so that the broadcasts
// they may send at once cost at most the budget, counting a LAN's every
// copy; an on-link pair broadcasts in the source's LAN, a routed one in
// the target's too. Small LANs, or a big budget, change nothing.
func TestPaceFloods(t *testing.T) {
	flat := generated(t, "single", 100) // one switch: 101 copies per broadcast
	pair, _, err := topology.Parse("pair.yaml", []byte(`
hosts: {h1: {}, h2: {}}
links:
  - {endpoints: [h1:eth0, h2:eth0], addresses: [10.0.0.1/24, 10.0.0.2/24]}
`)) // a cable, no LAN
	if err != nil {
		t.Fatal(err)
	}
	allFrom := func(l *topology.Lab, from string) []probe.Pair {
		var out []probe.Pair
		for _, p := range AllPairs(l) {
			if p.From == from {
				out = append(out, p)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		l      *topology.Lab
		pairs  []probe.Pair
		in     probe.CheckOptions
		budget int
		want   probe.CheckOptions
	}{
		{"fits", flat, AllPairs(flat), probe.CheckOptions{Sources: 16, PerSource: 64}, 16 * 64 * 101, probe.CheckOptions{Sources: 16, PerSource: 64}},
		{"defaults filled", flat, AllPairs(flat), probe.CheckOptions{}, 1 << 30, probe.CheckOptions{Sources: probe.DefaultSources, PerSource: probe.DefaultPerSource}},
		{"many sources", flat, AllPairs(flat), probe.CheckOptions{Sources: 100, PerSource: 64}, 2020, probe.CheckOptions{Sources: 20, PerSource: 1}},
		{"one source", flat, allFrom(flat, "h1"), probe.CheckOptions{Sources: 100, PerSource: 64}, 2020, probe.CheckOptions{Sources: 1, PerSource: 20}},
		{"below one", flat, AllPairs(flat), probe.CheckOptions{Sources: 100, PerSource: 64}, 50, probe.CheckOptions{Sources: 1, PerSource: 1}},
		{"no LAN", pair, AllPairs(pair), probe.CheckOptions{Sources: 100, PerSource: 64}, 1, probe.CheckOptions{Sources: 100, PerSource: 64}},
	}
	for _, tc := range tests {
		if got := paceFloods(tc.l, tc.pairs, tc.in, tc.budget); got != tc.want {
			t.Errorf("%s: paceFloods(%+v, budget %d) = %+v, want %+v", tc.name, tc.in, tc.budget, got, tc.want)
		}
	}
}

// TestPaceFloodsRoutedPair: a pair through a router costs the broadcasts
// of both LANs it crosses.
func TestPaceFloodsRoutedPair(t *testing.T) {
	l, _, err := topology.Parse("routed.yaml", []byte(`
switches: {s1: {}, s2: {}}
hosts:
  h1: {}
  h2: {}
  h3: {}
  r1: {forward: true}
links:
  - {endpoints: [h1:eth0, s1], addresses: [10.0.1.1/24]}
  - {endpoints: [h2:eth0, s1], addresses: [10.0.1.2/24]}
  - {endpoints: [r1:eth0, s1], addresses: [10.0.1.254/24]}
  - {endpoints: [r1:eth1, s2], addresses: [10.0.2.254/24]}
  - {endpoints: [h3:eth0, s2], addresses: [10.0.2.3/24]}
`))
	if err != nil {
		t.Fatal(err)
	}
	routed := []probe.Pair{{From: "h1", To: netip.MustParseAddr("10.0.2.3"), ToNode: "h3"}}
	onLink := []probe.Pair{{From: "h1", To: netip.MustParseAddr("10.0.1.2"), ToNode: "h2"}}
	in := probe.CheckOptions{Sources: 10, PerSource: 10}
	// s1's LAN: h1, h2, r1 and s1, 4 copies; s2's: r1, h3, s2, 3.
	if got := paceFloods(l, onLink, in, 4*3); got.Sources*got.PerSource != 3 {
		t.Errorf("on-link pair, budget 12: %+v, want 3 in flight (4 copies each)", got)
	}
	if got := paceFloods(l, routed, in, 7*3); got.Sources*got.PerSource != 3 {
		t.Errorf("routed pair, budget 21: %+v, want 3 in flight (4+3 copies each)", got)
	}
}
