package routing

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/topo-lab/topo/pkg/topology"
)

// Session is one adjacency (OSPF) or session (BGP) a converged lab
// has: Router sees Peer at address Addr through Iface.
type Session struct {
	Router string
	Proto  string // "ospf" or "bgp"
	Iface  string
	Peer   string
	Addr   netip.Addr
}

func (s Session) String() string {
	return fmt.Sprintf("%s %s %s -> %s (%s)", s.Router, s.Proto, s.Iface, s.Peer, s.Addr)
}

// Sessions lists every OSPF adjacency and BGP session the lab's
// routers must reach, sorted by router.
func Sessions(l *topology.Lab) []Session {
	if !l.NeedsFRR() {
		return nil
	}
	g := newGraph(l)
	var out []Session
	for _, n := range l.Nodes {
		if !l.RunsFRR(n) {
			continue
		}
		for _, i := range g.ifaces[n.Name] {
			for _, p := range i.peers {
				for _, a := range p.addrs {
					if !a.Addr().Is4() {
						continue
					}
					if l.RunsOSPF(n) && l.RunsOSPF(p.node) && !i.hostsOnly {
						out = append(out, Session{Router: n.Name, Proto: "ospf", Iface: i.name, Peer: p.node.Name, Addr: a.Addr()})
					}
					if bgpPeers(n, p.node) {
						out = append(out, Session{Router: n.Name, Proto: "bgp", Iface: i.name, Peer: p.node.Name, Addr: a.Addr()})
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Router < out[j].Router })
	return out
}

// bgpPeers reports whether routers a and b have a BGP session on a
// shared segment: different ASNs, or the same with ibgp on both.
func bgpPeers(a, b *topology.Node) bool {
	if a.BGP == nil || b.BGP == nil {
		return false
	}
	return a.BGP.ASN != b.BGP.ASN || a.BGP.IBGP && b.BGP.IBGP
}
