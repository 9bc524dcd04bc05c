package explain

import (
	"fmt"
	"net/netip"
)

// maxHops bounds a walk; a longer path is a loop.
const maxHops = 64

// Walk follows an echo request from node from (source address src; an
// invalid src is chosen as the kernel would) to dst, and, when it
// arrives, the reply back to src, through the snapshot l: at each node
// its route lookup, the state of the interfaces on the way, forwarding,
// neighbour resolution, and at the destination whether echo requests
// are ignored. The first broken hop is named in Path.Broken. When every
// hop looks right, the first node whose firewall may drop the packet is
// named instead; failing that, Broken is nil. Pure.
func Walk(l *Lab, from string, src, dst netip.Addr) *Path {
	src, dst = src.Unmap(), dst.Unmap()
	p := &Path{}
	w := walker{lab: l}
	fwd, at, brk := w.walk(from, src, dst, false)
	p.Forward = fwd
	if brk == nil {
		if !src.IsValid() {
			src = w.firstSrc
		}
		if !src.IsValid() { // delivered at the source itself
			src = dst
		}
		var back []Hop
		back, _, brk = w.walk(at, dst, src, true)
		p.Back = back
	}
	if brk == nil {
		brk = w.firewall(p)
	}
	p.Broken = brk
	return p
}

type walker struct {
	lab      *Lab
	firstSrc netip.Addr
}

// walk follows one packet from node from; it returns the hops, the
// node it was delivered to, and the first broken hop (nil when it was
// delivered).
func (w *walker) walk(from string, src, dst netip.Addr, back bool) ([]Hop, string, *Break) {
	var hops []Hop
	cur, in := from, ""
	// Routing depends on the destination alone, so a node met twice is
	// a loop.
	seen := map[string]bool{}
	for step := 0; ; step++ {
		n := w.lab.node(cur)
		hop := Hop{Node: cur, In: in}
		fail := func(k Kind, format string, args ...any) ([]Hop, string, *Break) {
			s := fmt.Sprintf(format, args...)
			hop.Verdict = s
			hops = append(hops, hop)
			return hops, "", &Break{Back: back, Node: cur, Kind: k, Sentence: s}
		}
		if n == nil {
			return fail(KindUnknown, "%s is not in the snapshot", cur)
		}
		if seen[cur] || step >= maxHops {
			return fail(KindLoop, "the packet loops: %s gets it back on %s (%s)", cur, in, loopText(hops, cur))
		}
		seen[cur] = true
		if n.owns(dst) {
			if !back && n.ignoresEcho(dst) {
				return fail(KindEchoIgnored, "%s ignores echo requests (%s = 1)", cur, echoKey(dst))
			}
			hop.OK, hop.Verdict = true, "delivered"
			return append(hops, hop), cur, nil
		}
		if step > 0 && !n.forwards(dst) {
			return fail(KindNoForward, "%s", noForwardText(n, dst))
		}
		rt, ok := n.lookup(dst)
		if !ok {
			if e, ok := w.downIface(n, dst); ok {
				return fail(KindLinkDown, "%s", downText(w.lab, e))
			}
			return fail(KindNoRoute, "%s", noRouteText(cur, w.lab.prefixOf(dst), back))
		}
		switch rt.Type {
		case "blackhole", "unreachable", "prohibit", "throw":
			return fail(KindRejectRoute, "%s has a %s route to %s", cur, rt.Type, rt.Dst)
		}
		if step == 0 && !src.IsValid() {
			src = n.source(rt, dst)
			w.firstSrc = src
		}
		out := End{cur, rt.Dev}
		if e, bad := w.outDown(out); bad {
			return fail(KindLinkDown, "%s", downText(w.lab, e))
		}
		hop.Out, hop.NextHop = rt.Dev, dst
		if rt.Gw.IsValid() {
			hop.NextHop = rt.Gw
		}
		next, brk := w.neighbour(n, out, hop.NextHop, rt.Gw.IsValid())
		if brk != "" {
			k := KindNoNeighbor
			if next != (End{}) {
				k = KindNeighbor
			}
			if e, ok := w.downOnWay(out, hop.NextHop); ok && k == KindNoNeighbor {
				return fail(KindLinkDown, "%s", downText(w.lab, e))
			}
			return fail(k, "%s", brk)
		}
		hop.OK, hop.Verdict = true, "sent"
		if step > 0 {
			hop.Verdict = "forwarded"
		}
		hops = append(hops, hop)
		cur, in = next.Node, next.Iface
	}
}

// ignoresEcho reports whether the node ignores echo requests to dst.
func (n *Node) ignoresEcho(dst netip.Addr) bool {
	if dst.Is4() {
		return n.EchoIgnore4
	}
	return n.EchoIgnore6
}

// forwards reports whether the node forwards packets of dst's family.
func (n *Node) forwards(dst netip.Addr) bool {
	if dst.Is4() {
		return n.Forward4
	}
	return n.Forward6
}

func echoKey(dst netip.Addr) string {
	if dst.Is4() {
		return "net.ipv4.icmp_echo_ignore_all"
	}
	return "net.ipv6.icmp.echo_ignore_all"
}

func noForwardText(n *Node, dst netip.Addr) string {
	switch {
	case !n.Forward4 && !n.Forward6:
		return n.Name + " does not forward (forward: false)"
	case dst.Is4():
		return n.Name + " does not forward IPv4 (net.ipv4.ip_forward = 0)"
	}
	return n.Name + " does not forward IPv6 (net.ipv6.conf.all.forwarding = 0)"
}

// noRouteText names the destination by the lab's subnet that holds it,
// or by the address alone when none does.
func noRouteText(node string, to netip.Prefix, back bool) string {
	dst := to.String()
	if to.IsSingleIP() {
		dst = to.Addr().String()
	}
	if back {
		return fmt.Sprintf("%s has no route back to %s: the echo arrived but the reply was lost", node, dst)
	}
	return fmt.Sprintf("%s has no route to %s", node, dst)
}

func downText(l *Lab, e End) string {
	if ifc := l.iface(e); ifc != nil && ifc.Up && !ifc.Carrier {
		return e.String() + " has no carrier: the other end of its link is down"
	}
	return e.String() + " is down (topo link or state: down)"
}

func loopText(hops []Hop, at string) string {
	s := ""
	started := false
	for _, h := range hops {
		if h.Node == at {
			started = true
		}
		if started {
			s += h.Node + " → "
		}
	}
	return s + at
}

// prefixOf is the subnet dst belongs to in the lab (see Lab.Subnets);
// dst alone when no interface holds it.
func (l *Lab) prefixOf(dst netip.Addr) netip.Prefix {
	if p, ok := l.Subnets[dst]; ok && !dst.IsLoopback() {
		return p.Masked()
	}
	return netip.PrefixFrom(dst, dst.BitLen())
}

// outDown returns the end to blame when out cannot send: out itself
// when it is down, or the other end of its wire when only its carrier
// is missing.
func (w *walker) outDown(out End) (End, bool) {
	ifc := w.lab.iface(out)
	if ifc == nil {
		return End{}, false
	}
	if !ifc.Up {
		return out, true
	}
	if !ifc.Carrier {
		if p, ok := w.lab.peer(out); ok {
			if pi := w.lab.iface(p); pi != nil && !pi.Up {
				return p, true
			}
		}
		return out, true
	}
	return End{}, false
}

// downIface finds, for a node without a route to dst, the down
// interface that took the route with it: one whose subnet holds dst,
// else one whose subnet holds the gateway of a planned route to dst.
func (w *walker) downIface(n *Node, dst netip.Addr) (End, bool) {
	holds := func(a netip.Addr) (End, bool) {
		for _, name := range sortedIfaces(n) {
			ifc := n.Ifaces[name]
			if ifc.Up && ifc.Carrier || ifc.Master != "" {
				continue
			}
			for _, p := range ifc.Addrs {
				if p.Masked().Contains(a) {
					e, _ := w.outDown(End{n.Name, name})
					return e, true
				}
			}
		}
		return End{}, false
	}
	if e, ok := holds(dst); ok {
		return e, true
	}
	best := -1
	for i, r := range n.Planned {
		if r.Gw.IsValid() && r.Dst.Contains(dst) && (best < 0 || r.Dst.Bits() > n.Planned[best].Dst.Bits()) {
			best = i
		}
	}
	if best >= 0 {
		return holds(n.Planned[best].Gw)
	}
	return End{}, false
}
