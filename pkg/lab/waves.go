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
	// Each pair's rank is where its two hosts first appear: one map
	// lookup per pair, none in the sort.
	first := map[[2]string]int{}
	rank := make([]int, len(pairs))
	for i, p := range pairs {
		k := key(p)
		r, ok := first[k]
		if !ok {
			r = i
			first[k] = i
		}
		rank[i] = r
	}
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] < rank[order[b]] })
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
// once per wave, a routed pair counts entriesPerPair. One wave when
// the whole lab cannot make more than room entries (neighbourCap).
// Pure.
func splitWaves(l *topology.Lab, pairs []probe.Pair, room int) [][]probe.Pair {
	room = max(room, minWave)
	if neighbourCap(l) <= room {
		return [][]probe.Pair{pairs}
	}
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
// wave would add, at most neighbourCap. Pure.
func neighbourCost(l *topology.Lab, pairs []probe.Pair) int {
	return min(pairsCost(l, pairs), neighbourCap(l))
}

func pairsCost(l *topology.Lab, pairs []probe.Pair) int {
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

// neighbourCap is the most neighbour entries probes of any pairs can
// make in the lab's nodes: a node learns only addresses on its own
// subnets (its gateways are on-link too), so it is, over every address
// of every node, the number of other nodes' addresses inside that
// address's subnet. An IPv6 one counts twice: the neighbour may be
// learnt at its link-local address as well. A routed pair, which
// splitWaves must count at entriesPerPair for want of its path, makes
// no entry beyond these: on a routed star of 24 hosts all 1,152 pairs
// make at most 48. Pure; O(n log n) in the lab's addresses.
func neighbourCap(l *topology.Lab) int {
	byNode := l.AddressesByNode()
	var all []netip.Addr
	for _, ps := range byNode {
		for _, p := range ps {
			all = append(all, p.Addr())
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Less(all[j]) })
	inside := func(p netip.Prefix) int {
		lo, hi := p.Masked().Addr(), lastAddr(p)
		i := sort.Search(len(all), func(i int) bool { return !all[i].Less(lo) })
		j := sort.Search(len(all), func(i int) bool { return hi.Less(all[i]) })
		return j - i
	}
	total := 0
	for _, ps := range byNode {
		for _, p := range ps {
			n := inside(p)
			for _, own := range ps {
				if p.Masked().Contains(own.Addr()) {
					n-- // the node's own, p's address among them
				}
			}
			if p.Addr().Is6() {
				n *= 2
			}
			total += n
		}
	}
	return total
}

// lastAddr is the highest address of p's subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
