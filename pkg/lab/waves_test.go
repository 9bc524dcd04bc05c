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
