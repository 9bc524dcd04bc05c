package explain

import "sort"

// sortedIfaces lists a node's interface names in order, for answers
// that do not depend on map order.
func sortedIfaces(n *Node) []string {
	names := make([]string, 0, len(n.Ifaces))
	for name := range n.Ifaces {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// iface returns the interface of an end, nil when the snapshot has
// none.
func (l *Lab) iface(e End) *Iface {
	if n := l.node(e.Node); n != nil {
		return n.Ifaces[e.Iface]
	}
	return nil
}

// passes reports whether an end passes frames: up, with carrier.
func (l *Lab) passes(e End) bool {
	ifc := l.iface(e)
	return ifc != nil && ifc.Up && ifc.Carrier
}

// peer is the other end of e's wire.
func (l *Lab) peer(e End) (End, bool) {
	for _, w := range l.Wires {
		switch e {
		case w[0]:
			return w[1], true
		case w[1]:
			return w[0], true
		}
	}
	return End{}, false
}

// ports are the other ports of the bridge e is a port of.
func (l *Lab) ports(e End) []End {
	ifc := l.iface(e)
	n := l.node(e.Node)
	if ifc == nil || ifc.Master == "" || n == nil {
		return nil
	}
	var out []End
	for _, name := range sortedIfaces(n) {
		if o := n.Ifaces[name]; o.Master == ifc.Master && name != e.Iface {
			out = append(out, End{e.Node, name})
		}
	}
	return out
}

// bridgeUp reports whether the bridge e is a port of is up.
func (l *Lab) bridgeUp(e End) bool {
	ifc := l.iface(e)
	br := l.node(e.Node).Ifaces[ifc.Master]
	return br == nil || br.Up
}

// reach lists the ends whose node receives the frames sent out of
// start: across its wire, and on through the bridges they meet. With
// live, only through ends that pass frames; without, as wired. parent
// leads each reached end back to start. Ends are listed nearest first.
func (l *Lab) reach(start End, live bool) (reached []End, parent map[End]End) {
	parent = map[End]End{}
	seen := map[End]bool{start: true}
	queue := []End{start}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		p, ok := l.peer(e)
		if !ok || seen[p] || live && !l.passes(p) {
			continue
		}
		seen[p], parent[p] = true, e
		ifc := l.iface(p)
		if ifc == nil || ifc.Master == "" {
			reached = append(reached, p)
			continue
		}
		if live && !l.bridgeUp(p) {
			continue
		}
		for _, o := range l.ports(p) {
			if !seen[o] && (!live || l.passes(o)) {
				seen[o], parent[o] = true, p
				queue = append(queue, o)
			}
		}
	}
	return reached, parent
}

// firstDown returns the first end on the wired way from start to to
// that is administratively down, else the first without carrier; ok is
// false when every end on the way passes frames.
func (l *Lab) firstDown(start, to End, parent map[End]End) (End, bool) {
	var way []End
	for e := to; ; e = parent[e] {
		way = append([]End{e}, way...)
		if e == start {
			break
		}
		if _, ok := parent[e]; !ok {
			break
		}
	}
	for _, e := range way {
		if ifc := l.iface(e); ifc != nil && !ifc.Up {
			return e, true
		}
	}
	for _, e := range way {
		if !l.passes(e) {
			return e, true
		}
	}
	return End{}, false
}
