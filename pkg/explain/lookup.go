package explain

import "net/netip"

// The routing tables the kernel's default rules consult, in order.
const (
	TableLocal   = 255
	TableMain    = 254
	TableDefault = 253
)

// lookup is the route the node's kernel picks for dst under the
// default rules: in the local, then the main, then the default table,
// the longest prefix holding dst, the lowest metric among those, the
// first listed on a tie. Broadcast, multicast and anycast routes,
// which only deliver, are skipped; ok is false when no route holds dst.
func (n *Node) lookup(dst netip.Addr) (Route, bool) {
	for _, table := range []int{TableLocal, TableMain, TableDefault} {
		best := -1
		for i, r := range n.Routes {
			if r.Table != table || r.Dst.Addr().Is4() != dst.Is4() || !r.Dst.Contains(dst) {
				continue
			}
			switch r.Type {
			case "broadcast", "multicast", "anycast":
				continue
			}
			if best < 0 || r.Dst.Bits() > n.Routes[best].Dst.Bits() ||
				r.Dst.Bits() == n.Routes[best].Dst.Bits() && r.Metric < n.Routes[best].Metric {
				best = i
			}
		}
		if best >= 0 {
			return n.Routes[best], true
		}
	}
	return Route{}, false
}

// source is the address the node sends from over route r to dst: the
// route's preferred source, else an address of the output interface
// whose prefix holds the next hop, else its first of the family, else
// any of the node's of the family.
func (n *Node) source(r Route, dst netip.Addr) netip.Addr {
	if r.Src.IsValid() {
		return r.Src
	}
	hop := dst
	if r.Gw.IsValid() {
		hop = r.Gw
	}
	var first netip.Addr
	if ifc := n.Ifaces[r.Dev]; ifc != nil {
		for _, p := range ifc.Addrs {
			if p.Addr().Is4() != dst.Is4() || p.Addr().IsLinkLocalUnicast() && !hop.IsLinkLocalUnicast() {
				continue
			}
			if p.Contains(hop) {
				return p.Addr()
			}
			if !first.IsValid() {
				first = p.Addr()
			}
		}
	}
	if first.IsValid() {
		return first
	}
	for _, name := range sortedIfaces(n) {
		for _, p := range n.Ifaces[name].Addrs {
			if p.Addr().Is4() == dst.Is4() && !p.Addr().IsLinkLocalUnicast() && !p.Addr().IsLoopback() {
				return p.Addr()
			}
		}
	}
	return netip.Addr{}
}
