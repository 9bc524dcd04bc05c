package explain

import (
	"net/netip"
	"sort"
	"sync"
)

// index is what a walk looks up about the lab's wiring, built once per
// Lab: the wires' ends from Wires, and which nodes are switches and
// which own each address from Switches and Owners (or, when those are
// not given, from the nodes already in Nodes), so that finding the way
// across a LAN reads no node off that way.
type index struct {
	wiring   sync.Once
	peers    map[End]End
	ends     map[string][]End // each node's wired ends, by interface name
	names    sync.Once
	switches map[string]bool
	owners   map[netip.Addr][]string
}

// wires returns the index with its wiring built.
func (l *Lab) wires() *index {
	x := &l.index
	x.wiring.Do(func() {
		x.peers, x.ends = map[End]End{}, map[string][]End{}
		for _, w := range l.Wires {
			x.peers[w[0]], x.peers[w[1]] = w[1], w[0]
			x.ends[w[0].Node] = append(x.ends[w[0].Node], w[0])
			x.ends[w[1].Node] = append(x.ends[w[1].Node], w[1])
		}
		for _, es := range x.ends {
			sort.Slice(es, func(i, j int) bool { return es[i].Iface < es[j].Iface })
		}
	})
	return x
}

// idx returns the index with everything built.
func (l *Lab) idx() *index {
	x := l.wires()
	x.names.Do(func() {
		x.switches, x.owners = l.Switches, l.Owners
		if x.switches == nil {
			x.switches = map[string]bool{}
			for name, n := range l.Nodes {
				if n != nil && n.Switch {
					x.switches[name] = true
				}
			}
		}
		if x.owners == nil {
			x.owners = map[netip.Addr][]string{}
			names := make([]string, 0, len(l.Nodes))
			for name := range l.Nodes {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				n := l.Nodes[name]
				if n == nil {
					continue
				}
				for _, ifn := range sortedIfaces(n) {
					for _, p := range n.Ifaces[ifn].Addrs {
						x.owners[p.Addr()] = append(x.owners[p.Addr()], name)
					}
				}
			}
		}
	})
	return x
}

// candidates are the ends that may answer ARP or NDP for addr: the
// wired ends of the nodes that own it (reading only those nodes), the
// interface holding it first (Linux answers for any of its addresses
// on any interface).
func (l *Lab) candidates(addr netip.Addr) []End {
	var first, rest []End
	for _, name := range l.idx().owners[addr] {
		n := l.node(name)
		if n == nil || !n.owns(addr) {
			continue
		}
		for _, e := range l.idx().ends[name] {
			holds := false
			if ifc := n.Ifaces[e.Iface]; ifc != nil {
				for _, p := range ifc.Addrs {
					holds = holds || p.Addr() == addr
				}
			}
			if holds {
				first = append(first, e)
			} else {
				rest = append(rest, e)
			}
		}
	}
	return append(first, rest...)
}

// way finds the way a frame sent out of start takes to the end to:
// across start's wire and on through the switches it meets, as wired
// (live false) or only through ends that pass frames, ports of bridges
// that are up (live true). It returns the ends on the way, start and
// to included, nearest first; ok is false when to is not reached. It
// finds the way as wired first, reading no node, then reads the
// switches on it and to's node; only when that way does not pass
// frames and the switches are wired in a loop (another way may) does
// it search again, reading the switches it crosses.
func (l *Lab) way(start, to End, live bool) ([]End, bool) {
	way, ok, loop := l.search(start, to, false)
	if !live || ok && l.wayPasses(way) {
		return way, ok
	}
	if ok && !loop {
		// Found before the search could meet a loop: look at all
		// of the wiring (in memory, reading nothing).
		_, _, loop = l.search(start, End{}, false)
	}
	if !loop {
		return nil, false
	}
	way, ok, _ = l.search(start, to, true)
	return way, ok
}

// wayPasses reports whether every end of way after the first passes
// frames, each switch port being a port of a bridge that is up.
func (l *Lab) wayPasses(way []End) bool {
	x := l.idx()
	for _, e := range way[1:] {
		if !l.passes(e) {
			return false
		}
		if x.switches[e.Node] {
			if ifc := l.iface(e); ifc == nil || ifc.Master == "" || !l.bridgeUp(e) {
				return false
			}
		}
	}
	return true
}

// search is way's breadth-first search, as wired or live; loop reports
// whether it met a switch twice (the switches are wired in a loop).
func (l *Lab) search(start, to End, live bool) (way []End, ok, loop bool) {
	x := l.idx()
	parent := map[End]End{} // an end reached, and the end it was reached from
	queued := map[string]bool{}
	var queue []End
	// cross follows the wire out of a; it reports whether to was
	// reached, and queues a switch reached.
	cross := func(a End) bool {
		b, wired := x.peers[a]
		if !wired || b == start {
			return false
		}
		if _, dup := parent[b]; dup {
			return false
		}
		if !x.switches[b.Node] && b != to {
			return false // another node's end: not read
		}
		if live && !l.passes(b) {
			return false
		}
		if !x.switches[b.Node] {
			parent[b] = a
			return true
		}
		if live {
			if ifc := l.iface(b); ifc == nil || ifc.Master == "" || !l.bridgeUp(b) {
				return false
			}
		}
		parent[b] = a
		if queued[b.Node] {
			loop = true
			return false
		}
		queued[b.Node] = true
		queue = append(queue, b)
		return b == to
	}
	reached := cross(start)
	for !reached && len(queue) > 0 {
		in := queue[0]
		queue = queue[1:]
		for _, o := range x.ends[in.Node] {
			if o == in {
				continue
			}
			if _, dup := parent[o]; dup {
				continue
			}
			if live {
				if ifc := l.iface(o); ifc == nil || ifc.Master == "" || !l.passes(o) {
					continue
				}
			}
			parent[o] = in
			if reached = cross(o); reached {
				break
			}
		}
	}
	if !reached {
		return nil, false, loop
	}
	for e := to; ; e = parent[e] {
		way = append(way, e)
		if e == start {
			break
		}
	}
	for i, j := 0, len(way)-1; i < j; i, j = i+1, j-1 {
		way[i], way[j] = way[j], way[i]
	}
	return way, true, loop
}
