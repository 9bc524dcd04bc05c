package routing

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/topo-lab/topo/pkg/topology"
)

// Session is one adjacency (OSPF) or session (BGP) a converged lab
// has: Router sees Peer at address Addr through Iface ("" for an iBGP
// session over the IGP).
type Session struct {
	Router string
	Proto  string // "ospf", "ospf6" or "bgp"
	Iface  string
	Peer   string
	Addr   netip.Addr
	// PeerID is the peer's router-id, by which ospf6d names its
	// neighbours (they have no address of their own in OSPFv3).
	PeerID netip.Addr
}

// String names the session: "r1 ospf eth1 -> r2 (10.0.12.2)", or
// "r1 bgp -> r3 (10.0.23.2) over the IGP".
func (s Session) String() string {
	if s.Iface == "" {
		return fmt.Sprintf("%s %s -> %s (%s) over the IGP", s.Router, s.Proto, s.Peer, s.Addr)
	}
	return fmt.Sprintf("%s %s %s -> %s (%s)", s.Router, s.Proto, s.Iface, s.Peer, s.Addr)
}

// Sessions lists every OSPF adjacency (OSPFv2 and, where both ends
// have IPv6 addresses, OSPFv3) and BGP session the lab's routers must
// reach, sorted by router; none over a link that is down (state: down,
// or topo link), and no iBGP session between routers the IGP does not
// join.
func Sessions(l *topology.Lab) []Session {
	if !l.NeedsFRR() {
		return nil
	}
	full := newGraph(l)
	g := upGraph(l)
	igp := map[bool]map[string][]string{true: g.igp(true), false: g.igp(false)}
	var out []Session
	for _, n := range l.Nodes {
		if !l.RunsFRR(n) {
			continue
		}
		for _, i := range g.ifaces[n.Name] {
			if g.ospfPassive(i) || !l.RunsOSPF(n) {
				continue
			}
			for _, p := range i.peers {
				if !l.RunsOSPF(p.node) {
					continue
				}
				for _, a := range p.addrs {
					if a.Addr().Is4() {
						out = append(out, Session{Router: n.Name, Proto: "ospf", Iface: i.name, Peer: p.node.Name, Addr: a.Addr()})
					} else if family(a.Addr(), false) && len(subnets(i.addrs, false)) > 0 {
						out = append(out, Session{Router: n.Name, Proto: "ospf6", Iface: i.name, Peer: p.node.Name, Addr: a.Addr(), PeerID: full.routerID(p.node)})
					}
				}
			}
		}
		for _, nb := range g.neighbors(n, full) {
			if nb.iface == "" {
				// Over the IGP: both addresses up, and a path of
				// adjacencies between the two.
				if !g.holds(n, nb.source) || !g.holds(nb.peer, nb.addr) || !slices.Contains(reach(igp[nb.v4()], n.Name), nb.peer.Name) {
					continue
				}
			}
			out = append(out, Session{Router: n.Name, Proto: "bgp", Iface: nb.iface, Peer: nb.peer.Name, Addr: nb.addr})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Router < out[j].Router })
	return out
}

// igp maps each OSPF router to the routers it has an adjacency with,
// in one family (OSPFv3 for IPv6).
func (g *graph) igp(v4 bool) map[string][]string {
	adj := map[string][]string{}
	for _, n := range g.lab.Nodes {
		if !g.lab.RunsOSPF(n) || !v4 && !g.hasIPv6(n) {
			continue
		}
		for _, i := range g.ifaces[n.Name] {
			if g.ospfPassive(i) {
				continue
			}
			for _, p := range i.peers {
				if g.lab.RunsOSPF(p.node) && (v4 || g.hasIPv6(p.node)) {
					adj[n.Name] = append(adj[n.Name], p.node.Name)
				}
			}
		}
	}
	return adj
}

// Routes lists, per router, the prefixes it must have learnt once its
// protocols have converged: the OSPF subnets and BGP announcements of
// the routers its sessions connect it to, directly or not, in each
// family. A link that is down carries no session and offers no subnet.
func Routes(l *topology.Lab) map[string][]netip.Prefix {
	if !l.NeedsFRR() {
		return nil
	}
	g := upGraph(l)
	sessions := Sessions(l)
	out := map[string][]netip.Prefix{}
	for _, k := range []struct {
		proto string
		v4    bool
	}{{"ospf", true}, {"ospf6", false}, {"bgp", true}, {"bgp", false}} {
		adj := map[string][]string{}
		for _, s := range sessions {
			if s.Proto == k.proto && s.Addr.Is4() == k.v4 {
				adj[s.Router] = append(adj[s.Router], s.Peer)
			}
		}
		offers := offered(l, g, k.proto, k.v4)
		from := func(r string) []string { return reach(adj, r) }
		if k.proto == "bgp" {
			from = bgpOrigins(l, adj)
		}
		for r := range adj {
			own := map[netip.Prefix]bool{}
			for _, i := range g.ifaces[r] {
				for _, p := range subnets(i.addrs, k.v4) {
					own[p] = true
				}
			}
			for _, p := range out[r] {
				own[p] = true
			}
			for _, other := range from(r) {
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

// offered lists, per router, the prefixes of one family (v4: IPv4) it
// offers to proto ("ospf" or "ospf6": its subnets and its loopback,
// "bgp": its announcements).
func offered(l *topology.Lab, g *graph, proto string, v4 bool) map[string][]netip.Prefix {
	offers := map[string][]netip.Prefix{}
	for _, n := range l.Nodes {
		if proto != "bgp" && l.RunsOSPF(n) {
			for _, i := range g.ifaces[n.Name] {
				offers[n.Name] = append(offers[n.Name], subnets(i.addrs, v4)...)
			}
			if a, ok := g.loop[n.Name]; ok && v4 {
				offers[n.Name] = append(offers[n.Name], netip.PrefixFrom(a, 32))
			}
		}
		if proto == "bgp" && n.BGP != nil {
			offers[n.Name] = subnets(g.announced(n), v4)
		}
	}
	return offers
}

// bgpOrigins returns, for a router, the routers whose announcements
// reach it over the BGP sessions adj: passed on by every router, except
// that what one learns over iBGP goes on to eBGP peers only.
func bgpOrigins(l *topology.Lab, adj map[string][]string) func(string) []string {
	nodes := l.NodesByName()
	learns := map[string][]string{}
	for o := range adj {
		type state struct {
			router string
			ibgp   bool // learnt over iBGP
		}
		seen := map[state]bool{{o, false}: true}
		queue := []state{{o, false}}
		got := map[string]bool{o: true}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for _, p := range adj[x.router] {
				ib := nodes[p].BGP.ASN == nodes[x.router].BGP.ASN
				next := state{p, ib}
				if ib && x.ibgp || seen[next] {
					continue
				}
				seen[next] = true
				queue = append(queue, next)
				if !got[p] {
					got[p] = true
					learns[p] = append(learns[p], o)
				}
			}
		}
	}
	return func(r string) []string {
		sort.Strings(learns[r])
		return learns[r]
	}
}

// reach lists the routers reachable from r over adj, r excluded,
// sorted.
func reach(adj map[string][]string, r string) []string {
	var out []string
	for x := range topology.Reachable(adj, r) {
		if x != r {
			out = append(out, x)
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
