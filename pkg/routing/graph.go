package routing

import (
	"hash/fnv"
	"net/netip"

	"github.com/topo-lab/topo/pkg/topology"
)

// graph answers what FRR's configuration needs about a router's
// interfaces: who is at the other end, and which are towards hosts.
type graph struct {
	lab   *topology.Lab
	nodes map[string]*topology.Node
	// ifaces lists each node's interfaces in link order.
	ifaces map[string][]ifaceInfo
	// loop is each BGP router's loopback address: its router_id when
	// none of its interfaces holds it (see loopbacks).
	loop map[string]netip.Addr
	// spare is the router-id of each router with no IPv4 address and
	// no router_id (see spareIDs).
	spare map[string]netip.Addr
}

// ifaceInfo is one interface of a router.
type ifaceInfo struct {
	name  string
	addrs []netip.Prefix
	link  *topology.Link
	// peers are the routers on the same segment: the other end, or the
	// routers on the switch at the other end, with their addresses on
	// that segment.
	peers []peer
	// hostsOnly says no other router is on the segment: OSPF is
	// passive there and BGP advertises its subnet.
	hostsOnly bool
	// external says every router on the segment is a BGP speaker of
	// another AS: the IGP stays inside the AS, so OSPF is passive there
	// (the link's subnet is still announced, as a stub).
	external bool
}

// passive reports whether OSPF forms no adjacency on the interface.
func (i ifaceInfo) passive() bool { return i.hostsOnly || i.external }

// ospfPassive reports whether OSPF forms no adjacency on the
// interface: passive, or none of its peers runs OSPF (ospf: false), so
// hellos would go to nobody.
func (g *graph) ospfPassive(i ifaceInfo) bool {
	if i.passive() {
		return true
	}
	for _, p := range i.peers {
		if g.lab.RunsOSPF(p.node) {
			return false
		}
	}
	return true
}

type peer struct {
	node  *topology.Node
	addrs []netip.Prefix
}

func isRouter(n *topology.Node) bool { return n != nil && n.Kind == topology.KindHost && n.Forward }

func newGraph(l *topology.Lab) *graph {
	g := &graph{lab: l, nodes: l.NodesByName(), ifaces: map[string][]ifaceInfo{}}
	// switchEnds lists, per switch, the host ends on it.
	switchEnds := map[string][]topology.Endpoint{}
	for _, lk := range l.Links {
		for i, e := range lk.Ends {
			if n := g.nodes[lk.Ends[1-i].Node]; n != nil && n.Kind == topology.KindSwitch && g.nodes[e.Node].Kind == topology.KindHost {
				switchEnds[n.Name] = append(switchEnds[n.Name], e)
			}
		}
	}
	for _, lk := range l.Links {
		for i, e := range lk.Ends {
			n := g.nodes[e.Node]
			if !isRouter(n) {
				continue
			}
			info := ifaceInfo{name: e.Interface, addrs: e.Addresses, link: lk}
			other := lk.Ends[1-i]
			on := g.nodes[other.Node]
			switch {
			case on != nil && on.Kind == topology.KindSwitch:
				for _, se := range switchEnds[on.Name] {
					if se.Node != e.Node && isRouter(g.nodes[se.Node]) {
						info.peers = append(info.peers, peer{node: g.nodes[se.Node], addrs: se.Addresses})
					}
				}
			case isRouter(on):
				info.peers = append(info.peers, peer{node: on, addrs: other.Addresses})
			}
			info.hostsOnly = len(info.peers) == 0
			info.external = !info.hostsOnly && n.BGP != nil
			for _, p := range info.peers {
				if !info.external {
					break
				}
				if p.node.BGP == nil || p.node.BGP.ASN == n.BGP.ASN {
					info.external = false
				}
			}
			g.ifaces[n.Name] = append(g.ifaces[n.Name], info)
		}
	}
	g.loop = g.loopbacks()
	g.spare = g.spareIDs()
	return g
}

// upGraph is the graph of l's links that are up; its loopbacks are
// those of the whole lab (an address does not become a loopback
// because its link is down).
func upGraph(l *topology.Lab) *graph {
	g := newGraph(linksUp(l))
	full := newGraph(l)
	g.loop, g.spare = full.loop, full.spare
	return g
}

// loopbacks maps each BGP router whose router_id none of its
// interfaces holds to that address: zebra puts it on lo (a /32), OSPF
// announces it, and iBGP peers reach the router there whichever of its
// links is up, as netlab and hand-written FRR labs do with a loopback.
func (g *graph) loopbacks() map[string]netip.Addr {
	out := map[string]netip.Addr{}
	for _, n := range g.lab.Nodes {
		if !isRouter(n) || n.BGP == nil || !n.BGP.RouterID.IsValid() {
			continue
		}
		held := false
		for _, i := range g.ifaces[n.Name] {
			for _, a := range i.addrs {
				held = held || a.Addr() == n.BGP.RouterID
			}
		}
		if !held {
			out[n.Name] = n.BGP.RouterID
		}
	}
	return out
}

// routerID is the node's bgp router_id, else its first IPv4 address,
// else its spare id (spareIDs); 0.0.0.0 for a node that is no router.
func (g *graph) routerID(n *topology.Node) netip.Addr {
	if n.BGP != nil && n.BGP.RouterID.IsValid() {
		return n.BGP.RouterID
	}
	if a := g.firstAddr(n, true); a.IsValid() {
		return a
	}
	if id, ok := g.spare[n.Name]; ok {
		return id
	}
	return netip.IPv4Unspecified()
}

// spareIDs gives each router with neither an IPv4 address nor a
// router_id a router-id of its own: OSPFv3 and BGP need one, and FRR
// makes none up in a namespace without IPv4, so an IPv6-only lab had
// 0.0.0.0 on every router, a duplicate, and no adjacency ever formed.
// The id is in 0.0.0.0/8, which no interface holds, from a hash of the
// router's name (the next free one on a collision, in the lab's
// order), so it stays the same as the lab changes around the router.
func (g *graph) spareIDs() map[string]netip.Addr {
	out := map[string]netip.Addr{}
	used := map[uint32]bool{0: true}
	for _, n := range g.lab.Nodes {
		if !isRouter(n) || n.BGP != nil && n.BGP.RouterID.IsValid() || g.firstAddr(n, true).IsValid() {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(n.Name))
		id := h.Sum32() & 0xffffff
		for used[id] {
			id = (id + 1) & 0xffffff
		}
		used[id] = true
		out[n.Name] = netip.AddrFrom4([4]byte{0, byte(id >> 16), byte(id >> 8), byte(id)})
	}
	return out
}

func (g *graph) hasIPv6(n *topology.Node) bool { return g.firstAddr(n, false).IsValid() }

// hasIPv4 is whether the router has an IPv4 address on a link, over
// which OSPFv2 could have a neighbour (a loopback alone has none).
func (g *graph) hasIPv4(n *topology.Node) bool { return g.firstAddr(n, true).IsValid() }

// firstAddr is the node's first address of one family (global, for
// IPv6) in link order; invalid when it has none.
func (g *graph) firstAddr(n *topology.Node, v4 bool) netip.Addr {
	for _, i := range g.ifaces[n.Name] {
		for _, a := range i.addrs {
			if family(a.Addr(), v4) {
				return a.Addr()
			}
		}
	}
	return netip.Addr{}
}

// family reports whether a is a routable address of one family: IPv4,
// or IPv6 but not link-local.
func family(a netip.Addr, v4 bool) bool {
	if v4 {
		return a.Is4()
	}
	return a.Is6() && !a.IsLinkLocalUnicast()
}

// stableAddr is the address a router's iBGP peers reach it at, in one
// family: its router_id (a loopback when no interface holds it), else
// its first address, reached over the IGP.
func (g *graph) stableAddr(n *topology.Node, v4 bool) netip.Addr {
	if a, ok := g.loop[n.Name]; ok && v4 {
		return a
	}
	if v4 && n.BGP != nil && n.BGP.RouterID.IsValid() {
		for _, i := range g.ifaces[n.Name] {
			for _, a := range i.addrs {
				if a.Addr() == n.BGP.RouterID {
					return a.Addr()
				}
			}
		}
	}
	return g.firstAddr(n, v4)
}

// holds reports whether one of n's interfaces in g, or its loopback,
// has address a.
func (g *graph) holds(n *topology.Node, a netip.Addr) bool {
	if g.loop[n.Name] == a {
		return true
	}
	for _, i := range g.ifaces[n.Name] {
		for _, p := range i.addrs {
			if p.Addr() == a {
				return true
			}
		}
	}
	return false
}
