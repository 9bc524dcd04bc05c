package routing

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// neighbor is one BGP session of a router, as its bgpd is told.
type neighbor struct {
	peer *topology.Node
	addr netip.Addr
	// iface is the router's interface on the segment it shares with
	// the peer; "" for an iBGP session over the IGP.
	iface string
	// source is the router's own address the session starts from
	// (update-source), for a session over the IGP.
	source netip.Addr
}

func (nb neighbor) v4() bool { return nb.addr.Is4() }

// ibgp reports whether a and b are iBGP peers: the same ASN, both
// with ibgp: true.
func ibgp(a, b *topology.Node) bool {
	return a.BGP != nil && b.BGP != nil && a.BGP.ASN == b.BGP.ASN && a.BGP.IBGP && b.BGP.IBGP
}

// overIGP reports whether iBGP peers a and b peer on their stable
// addresses (both run OSPF, or they share no segment) rather than on
// the addresses of the segment they share.
func (g *graph) overIGP(a, b *topology.Node) bool {
	return g.lab.RunsOSPF(a) && g.lab.RunsOSPF(b) || !g.linked(a, b)
}

// linked reports whether a and b share a segment.
func (g *graph) linked(a, b *topology.Node) bool {
	for _, i := range g.ifaces[a.Name] {
		for _, p := range i.peers {
			if p.node == b {
				return true
			}
		}
	}
	return false
}

// neighbors lists a router's BGP sessions: eBGP with every router of
// another ASN on a shared segment, one per address family the segment
// carries; iBGP with every router of its ASN (a full mesh, as iBGP does
// not pass on what it learns from iBGP), over the IGP between stable
// addresses, or on the shared segment when they are linked and do not
// both run OSPF. full is the graph of every link, up or down: a stable
// address does not move when a link goes down.
func (g *graph) neighbors(n *topology.Node, full *graph) []neighbor {
	if n.BGP == nil {
		return nil
	}
	var out []neighbor
	for _, i := range g.ifaces[n.Name] {
		for _, p := range i.peers {
			if p.node.BGP == nil || p.node.BGP.ASN == n.BGP.ASN && (!ibgp(n, p.node) || full.overIGP(n, p.node)) {
				continue
			}
			for _, a := range p.addrs {
				if family(a.Addr(), a.Addr().Is4()) {
					out = append(out, neighbor{peer: p.node, addr: a.Addr(), iface: i.name})
				}
			}
		}
	}
	for _, m := range g.lab.Nodes {
		if m == n || !ibgp(n, m) || !full.overIGP(n, m) {
			continue
		}
		for _, v4 := range []bool{true, false} {
			a, src := full.stableAddr(m, v4), full.stableAddr(n, v4)
			if a.IsValid() && src.IsValid() {
				out = append(out, neighbor{peer: m, addr: a, source: src})
			}
		}
	}
	return out
}

// bgp is bgpd's configuration: the router's neighbors, each active in
// the address family of its address, and the router's announcements
// in each family.
func (g *graph) bgp(n *topology.Node) string {
	var b strings.Builder
	b.WriteString(header(n))
	fmt.Fprintf(&b, "!\nrouter bgp %d\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp network import-check\n no bgp default ipv4-unicast\n timers bgp 1 3\n", n.BGP.ASN, g.routerID(n))
	nbs := g.neighbors(n, g)
	for _, nb := range nbs {
		fmt.Fprintf(&b, " neighbor %s remote-as %d\n neighbor %s timers connect 1\n", nb.addr, nb.peer.BGP.ASN, nb.addr)
		if nb.source.IsValid() {
			fmt.Fprintf(&b, " neighbor %s update-source %s\n", nb.addr, nb.source)
		}
	}
	for _, v4 := range []bool{true, false} {
		nets := subnets(g.announced(n), v4)
		var active []neighbor
		for _, nb := range nbs {
			if nb.v4() == v4 {
				active = append(active, nb)
			}
		}
		if !v4 && len(nets) == 0 && len(active) == 0 {
			continue
		}
		fmt.Fprintf(&b, " address-family %s unicast\n", map[bool]string{true: "ipv4", false: "ipv6"}[v4])
		for _, p := range nets {
			fmt.Fprintf(&b, "  network %s\n", p)
		}
		for _, nb := range active {
			fmt.Fprintf(&b, "  neighbor %s activate\n", nb.addr)
			if nb.peer.BGP.ASN == n.BGP.ASN {
				// Routes learnt from another AS go on with this router as
				// their next hop: the AS's other routers reach it over
				// the IGP, not the far AS's link.
				fmt.Fprintf(&b, "  neighbor %s next-hop-self\n", nb.addr)
			}
		}
		b.WriteString(" exit-address-family\n")
	}
	b.WriteString("!\n")
	return b.String()
}

// announced is what a BGP router announces: its advertise: list, or
// the subnets towards its hosts, of both families.
func (g *graph) announced(n *topology.Node) []netip.Prefix {
	if n.BGP.Advertise != nil {
		return n.BGP.Advertise
	}
	var nets []netip.Prefix
	for _, i := range g.ifaces[n.Name] {
		if i.hostsOnly {
			nets = append(nets, subnets(i.addrs, true)...)
			nets = append(nets, subnets(i.addrs, false)...)
		}
	}
	return nets
}

// subnets are the networks of the prefixes of one family (routable
// IPv6 only).
func subnets(addrs []netip.Prefix, v4 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range addrs {
		if family(a.Addr(), v4) {
			out = append(out, a.Masked())
		}
	}
	return out
}
