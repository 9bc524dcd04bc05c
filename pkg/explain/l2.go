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
	p, ok := l.wires().peers[e]
	return p, ok
}

// bridgeUp reports whether the bridge e is a port of is up.
func (l *Lab) bridgeUp(e End) bool {
	ifc := l.iface(e)
	br := l.node(e.Node).Ifaces[ifc.Master]
	return br == nil || br.Up
}

// firstDown returns the first end of way that is administratively
// down, else the first without carrier; ok is false when every end on
// the way passes frames.
func (l *Lab) firstDown(way []End) (End, bool) {
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
