package lab

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// lanLab is n hosts on one switch, 10.0.0.i/24.
func lanLab(n int) *topology.Lab {
	l := &topology.Lab{Name: "w"}
	for i := 1; i <= n; i++ {
		h := fmt.Sprintf("h%d", i)
		l.Nodes = append(l.Nodes, &topology.Node{Name: h, Kind: topology.KindHost})
		l.Links = append(l.Links, &topology.Link{Ends: [2]topology.Endpoint{
			{Node: h, Interface: "eth0", Addresses: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.0.0.%d/24", i))}},
			{Node: "s1", Interface: h + "-eth0"},
		}})
	}
	return l
}

func TestWaves(t *testing.T) {
	l := lanLab(4)
	pairs := AllPairs(l) // h1->h2, h1->h3, ..., h4->h3
	order := waveOrder(pairs)
	var got []string
	for _, i := range order {
		got = append(got, pairs[i].From+">"+pairs[i].ToNode)
	}
	want := "[h1>h2 h2>h1 h1>h3 h3>h1 h1>h4 h4>h1 h2>h3 h3>h2 h2>h4 h4>h2 h3>h4 h4>h3]"
	if fmt.Sprint(got) != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	sorted := make([]probe.Pair, len(pairs))
	for k, i := range order {
		sorted[k] = pairs[i]
	}
	// Both directions share their two entries: 12 pairs make 12.
	if c := neighbourCost(l, sorted); c != 12 {
		t.Fatalf("cost %d, want 12", c)
	}
	waves := splitWaves(l, sorted, 1) // the room is at least minWave
	if len(waves) != 1 {
		t.Fatalf("%d waves for 12 entries and a room of %d", len(waves), minWave)
	}
	big := lanLab(10)
	all := AllPairs(big) // 90 pairs, 90 entries
	waves = splitWaves(big, all, 40)
	total := 0
	for _, w := range waves {
		if c := neighbourCost(big, w); c > 40 {
			t.Errorf("a wave of %d pairs adds %d entries, over the room of 40", len(w), c)
		}
		total += len(w)
	}
	if total != len(all) || len(waves) < 3 {
		t.Fatalf("%d waves holding %d pairs, want all %d in at least 3", len(waves), total, len(all))
	}
	// A routed target costs entriesPerPair.
	routed := []probe.Pair{{From: "h1", To: netip.MustParseAddr("10.9.0.1")}}
	if c := neighbourCost(big, routed); c != entriesPerPair {
		t.Fatalf("routed cost %d, want %d", c, entriesPerPair)
	}
}

// routedStar is n hosts around router r1, host hK alone with r1 on
// 10.0.K.0/24 (dual-stack when v6).
func routedStar(n int, v6 bool) *topology.Lab {
	l := &topology.Lab{Name: "w"}
	l.Nodes = append(l.Nodes, &topology.Node{Name: "r1", Kind: topology.KindHost})
	for k := 1; k <= n; k++ {
		h := fmt.Sprintf("h%d", k)
		l.Nodes = append(l.Nodes, &topology.Node{Name: h, Kind: topology.KindHost})
		ha := []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.0.%d.10/24", k))}
		ra := []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.0.%d.1/24", k))}
		if v6 {
			ha = append(ha, netip.MustParsePrefix(fmt.Sprintf("fd00:%x::10/64", k)))
			ra = append(ra, netip.MustParsePrefix(fmt.Sprintf("fd00:%x::1/64", k)))
		}
		l.Links = append(l.Links, &topology.Link{Ends: [2]topology.Endpoint{
			{Node: h, Interface: "eth0", Addresses: ha},
			{Node: "r1", Interface: fmt.Sprintf("eth%d", k-1), Addresses: ra},
		}})
	}
	return l
}

// All pairs of a routed star count entriesPerPair each, but the lab
// cannot make more entries than each host and the router learning each
// other: one wave, however many pairs.
func TestWavesRoutedStar(t *testing.T) {
	l := routedStar(24, false)
	if c := neighbourCap(l); c != 48 {
		t.Fatalf("cap %d, want 48 (each host learns r1, r1 learns each host)", c)
	}
	pairs := AllPairs(l) // 24*23 + 24*24 + 24
	if len(pairs) != 1152 {
		t.Fatalf("%d pairs, want 1152", len(pairs))
	}
	if c := neighbourCost(l, pairs); c != 48 {
		t.Fatalf("cost %d, want the cap 48", c)
	}
	if w := splitWaves(l, pairs, 100); len(w) != 1 || len(w[0]) != len(pairs) {
		t.Fatalf("%d waves, want all pairs in one", len(w))
	}
	// Under the cap, the routed pairs are cut as before.
	if w := splitWaves(l, pairs, minWave); len(w) < 2 {
		t.Fatalf("%d waves for a room of %d under a cap of 48", len(w), minWave)
	}
	// IPv6 counts twice (a link-local twin): 48 + 96.
	if c := neighbourCap(routedStar(24, true)); c != 144 {
		t.Fatalf("dual-stack cap %d, want 144", c)
	}
	// A LAN of n hosts: every host learns every other.
	if c := neighbourCap(lanLab(10)); c != 90 {
		t.Fatalf("LAN cap %d, want 90", c)
	}
}
