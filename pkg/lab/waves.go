package lab

import (
	"net/netip"
	"sort"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// entriesPerPair is how many neighbour entries one probed pair to a
// routed target may add to the kernel's table: the source learns its
// next hop, the target learns its own, and a router on the way learns
// both sides.
const entriesPerPair = 4

// minWave is the fewest entries a wave may add, however full the table.
const minWave = 32

// neighbourEntry is one entry a probe makes: node holds addr.
type neighbourEntry struct {
	node string
	addr netip.Addr
}

// waveOrder orders the pairs (as indices) so that the two directions
// between two nodes are next to each other: probed in one wave, they
// share the two neighbour entries they make (each node learns the
// other), where probed apart they would make them twice. Otherwise in
// order. Pure.
func waveOrder(pairs []probe.Pair) []int {
	key := func(p probe.Pair) [2]string {
		to := p.ToNode
		if to == "" {
			to = p.To.String()
		}
		if to < p.From {
			return [2]string{to, p.From}
		}
		return [2]string{p.From, to}
	}
	first := map[[2]string]int{}
	for i, p := range pairs {
		if _, ok := first[key(p)]; !ok {
			first[key(p)] = i
		}
	}
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return first[key(pairs[order[a]])] < first[key(pairs[order[b]])]
	})
	return order
}

// pairEntries are the neighbour entries probing p makes when the
// target is on the source's own subnet: the source learns the target,
// the target the source. nil for a routed target (see entriesPerPair).
func pairEntries(local map[string][]netip.Prefix, p probe.Pair) []neighbourEntry {
	for _, a := range local[p.From] {
		if a.Masked().Contains(p.To) {
			to := p.ToNode
			if to == "" {
				to = "@" + p.To.String()
			}
			return []neighbourEntry{{p.From, p.To}, {to, a.Addr()}}
		}
	}
	return nil
}

// splitWaves cuts the pairs, in order, into waves that each add at
// most room neighbour entries: the entries an on-link pair makes count
// once per wave, a routed pair counts entriesPerPair. Pure.
func splitWaves(l *topology.Lab, pairs []probe.Pair, room int) [][]probe.Pair {
	room = max(room, minWave)
	local := l.AddressesByNode()
	var waves [][]probe.Pair
	start, used := 0, 0
	seen := map[neighbourEntry]bool{}
	cost := func(p probe.Pair) ([]neighbourEntry, int) {
		es := pairEntries(local, p)
		if es == nil {
			return nil, entriesPerPair
		}
		n := 0
		for _, e := range es {
			if !seen[e] {
				n++
			}
		}
		return es, n
	}
	for i, p := range pairs {
		es, c := cost(p)
		if used+c > room && i > start {
			waves = append(waves, pairs[start:i])
			start, used = i, 0
			clear(seen)
			es, c = cost(p)
		}
		used += c
		for _, e := range es {
			seen[e] = true
		}
	}
	return append(waves, pairs[start:])
}

// neighbourCost is how many neighbour entries probing all pairs in one
// wave would add. Pure.
func neighbourCost(l *topology.Lab, pairs []probe.Pair) int {
	local := l.AddressesByNode()
	seen := map[neighbourEntry]bool{}
	n := 0
	for _, p := range pairs {
		es := pairEntries(local, p)
		if es == nil {
			n += entriesPerPair
		}
		for _, e := range es {
			if !seen[e] {
				seen[e] = true
				n++
			}
		}
	}
	return n
}
