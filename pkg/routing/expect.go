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

// String names the session: "r1 ospf eth1 -> r2 (10.0.12.2)".
func (s Session) String() string {
	return fmt.Sprintf("%s %s %s -> %s (%s)", s.Router, s.Proto, s.Iface, s.Peer, s.Addr)
}

// Sessions lists every OSPF adjacency and BGP session the lab's
// routers must reach, sorted by router; none over a link that is down
// (state: down, or topo link).
func Sessions(l *topology.Lab) []Session {
	if !l.NeedsFRR() {
		return nil
	}
	g := newGraph(linksUp(l))
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

// Routes lists, per router, the prefixes it must have learnt once its
// protocols have converged: the OSPF subnets and BGP announcements of
// the routers its sessions connect it to, directly or not. A link that
// is down carries no session and offers no subnet.
func Routes(l *topology.Lab) map[string][]netip.Prefix {
	if !l.NeedsFRR() {
		return nil
	}
	g := newGraph(linksUp(l))
	out := map[string][]netip.Prefix{}
	for _, proto := range []string{"ospf", "bgp"} {
		adj := map[string][]string{}
		for _, s := range Sessions(l) {
			if s.Proto == proto {
				adj[s.Router] = append(adj[s.Router], s.Peer)
			}
		}
		offers := offered(l, g, proto)
		for r := range adj {
			own := map[netip.Prefix]bool{}
			for _, i := range g.ifaces[r] {
				for _, p := range v4Subnets(i.addrs) {
					own[p] = true
				}
			}
			for _, other := range reach(adj, r) {
				for _, p := range offers[other] {
					if !own[p] {
						own[p] = true
						out[r] = append(out[r], p)
					}
				}
			}
		}
	}
	for r := range out {
		sort.Slice(out[r], func(i, j int) bool { return out[r][i].String() < out[r][j].String() })
	}
	return out
}

// offered lists, per router, the prefixes it offers to proto ("ospf":
// its subnets, "bgp": its announcements).
func offered(l *topology.Lab, g *graph, proto string) map[string][]netip.Prefix {
	offers := map[string][]netip.Prefix{}
	for _, n := range l.Nodes {
		if proto == "ospf" && l.RunsOSPF(n) {
			for _, i := range g.ifaces[n.Name] {
				offers[n.Name] = append(offers[n.Name], v4Subnets(i.addrs)...)
			}
		}
		if proto == "bgp" && n.BGP != nil {
			offers[n.Name] = g.announced(n)
		}
	}
	return offers
}

func v4Subnets(addrs []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range addrs {
		if a.Addr().Is4() {
			out = append(out, a.Masked())
		}
	}
	return out
}

// reach lists the routers reachable from r over adj, r excluded.
func reach(adj map[string][]string, r string) []string {
	seen := map[string]bool{r: true}
	queue := []string{r}
	var out []string
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range adj[x] {
			if !seen[y] {
				seen[y] = true
				out = append(out, y)
				queue = append(queue, y)
			}
		}
	}
	sort.Strings(out)
	return out
}

// linksUp is l without its links that are down: what routing can use.
// The generated configuration keeps them (a link set down and up again
// changes no daemon's configuration).
func linksUp(l *topology.Lab) *topology.Lab {
	out := *l
	out.Links = nil
	for _, lk := range l.Links {
		if !lk.Down {
			out.Links = append(out.Links, lk)
		}
	}
	return &out
}
