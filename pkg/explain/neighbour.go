package explain

import (
	"fmt"
	"net/netip"
)

// owner finds the end that answers ARP or NDP for addr on the link of
// out: the first of the candidates (see candidates) whose way from out
// passes frames. It reads the owners of addr and the switches on the
// way, whatever the size of the LAN.
func (l *Lab) owner(out End, addr netip.Addr) (End, bool) {
	cs := l.candidates(addr)
	for _, c := range cs {
		if _, ok := l.way(out, c, true); ok {
			return c, true
		}
	}
	if len(cs) > 0 {
		return End{}, false
	}
	// No node was given addr in the file: it may have been added by
	// hand. Read the nodes on out's LAN (only then, and not past
	// maxLANRead of them) for one that holds it.
	for _, e := range l.lanEnds(out, maxLANRead) {
		n := l.node(e.Node)
		if n == nil || !n.owns(addr) {
			continue
		}
		if _, ok := l.way(out, e, true); ok {
			return e, true
		}
	}
	return End{}, false
}

// maxLANRead bounds how many nodes owner reads when looking for an
// address the file gives nobody: a point-to-point link or a small LAN
// is read whole, a large one only near out, so one explanation's cost
// stays bounded.
const maxLANRead = 64

// lanEnds lists the ends of other nodes than switches reachable from
// out through its wire and the switches beyond, as wired (reading
// nothing), nearest first, at most max of them.
func (l *Lab) lanEnds(out End, max int) []End {
	x := l.idx()
	var found []End
	seen := map[string]bool{out.Node: true}
	queue := []End{out}
	for len(queue) > 0 && len(found) < max {
		a := queue[0]
		queue = queue[1:]
		b, wired := x.peers[a]
		if !wired || seen[b.Node] {
			continue
		}
		seen[b.Node] = true
		if !x.switches[b.Node] {
			found = append(found, b)
			continue
		}
		for _, o := range x.ends[b.Node] {
			if o != b {
				queue = append(queue, o)
			}
		}
	}
	return found
}

// neighbour resolves hop from out as the node's kernel would: its
// static entry if it has one, else whoever answers on the wire. It
// returns the end that receives the packet, or a sentence saying why
// none does (with the end that answers when a static entry points
// elsewhere).
func (w *walker) neighbour(n *Node, out End, hop netip.Addr, viaGw bool) (End, string) {
	ifc := w.lab.iface(out)
	if ifc != nil && ifc.MAC == "" || out.Iface == "lo" {
		return End{n.Name, out.Iface}, "" // no layer 2: loopback and the like
	}
	to, ok := w.lab.owner(out, hop)
	if nb := n.neighbor(hop, out.Iface); nb != nil && (nb.State == "permanent" || nb.State == "noarp") && nb.MAC != "" {
		if !ok || w.lab.iface(to).MAC != nb.MAC {
			at := "nobody on " + out.String() + "'s link has it"
			if ok {
				at = fmt.Sprintf("%s is at %s (%s)", hop, w.lab.iface(to).MAC, to)
			}
			return to, fmt.Sprintf("%s's neighbour entry for %s says %s (%s), but %s: the frames go to a MAC nobody has (fix or delete it: ip neigh del %s dev %s)",
				n.Name, hop, nb.MAC, nb.State, at, hop, out.Iface)
		}
	}
	if ok {
		return to, ""
	}
	if viaGw {
		return End{}, fmt.Sprintf("%s's gateway %s is not on %s's link: no node there has that address", n.Name, hop, out)
	}
	return End{}, fmt.Sprintf("nobody on %s's link has %s (%s sends to it directly, as on-link)", out, hop, n.Name)
}

// downOnWay returns the first down end between out and the node that
// holds hop, when one is wired to out but unreachable.
func (w *walker) downOnWay(out End, hop netip.Addr) (End, bool) {
	for _, c := range w.lab.candidates(hop) {
		if way, ok := w.lab.way(out, c, false); ok {
			return w.lab.firstDown(way)
		}
	}
	return End{}, false
}
