package topology

import (
	"sort"
	"strings"
)

// checkIBGP warns about iBGP peers (same ASN, both ibgp: true) that
// nothing joins: they share no segment and OSPF does not connect them,
// so their session, made between addresses of theirs, cannot come up
// unless routes: of the file carry it. After the links and bgp entries
// are built.
func (b *builder) checkIBGP() {
	segs := b.segments()
	ospf := map[string][]string{} // the OSPF adjacencies the lab will have
	linked := map[[2]string]bool{}
	for _, seg := range segs {
		for _, u := range seg {
			for _, v := range seg {
				if u == v {
					continue
				}
				linked[[2]string{u.Name, v.Name}] = true
				if b.lab.RunsOSPF(u) && b.lab.RunsOSPF(v) && !(u.BGP != nil && v.BGP != nil && u.BGP.ASN != v.BGP.ASN) {
					ospf[u.Name] = append(ospf[u.Name], v.Name)
				}
			}
		}
	}
	for _, rn := range b.raw.hosts {
		n := b.nodes[rn.name]
		if n == nil || n.BGP == nil || !n.BGP.IBGP {
			continue
		}
		joined := Reachable(ospf, n.Name)
		var lone []string
		for _, m := range b.lab.Nodes {
			if m == n || m.BGP == nil || !m.BGP.IBGP || m.BGP.ASN != n.BGP.ASN {
				continue
			}
			if !linked[[2]string{n.Name, m.Name}] && !joined[m.Name] {
				lone = append(lone, m.Name)
			}
		}
		if len(lone) > 0 {
			peers, share, sessions := "peer", "shares", "session"
			if len(lone) > 1 {
				peers, share, sessions = "peers", "share", "sessions"
			}
			b.warnf(rn.bgp.ibgpAt, "run OSPF among the AS's routers (routing: {ospf: {}}), link them, or give them routes: to each other's first address; up does not wait for these sessions",
				"host %s: its iBGP %s %s (AS %d) %s no link with it and OSPF does not join them: the %s cannot come up", n.Name, peers, strings.Join(lone, ", "), n.BGP.ASN, share, sessions)
		}
	}
}

// segments lists the routers (forward: true) on each segment of the
// lab: both ends of a link between two hosts, or every host end on a
// switched LAN.
func (b *builder) segments() [][]*Node {
	lanOf := map[string]string{}
	var find func(string) string
	find = func(s string) string {
		if p, ok := lanOf[s]; ok && p != s {
			lanOf[s] = find(p)
			return lanOf[s]
		}
		return s
	}
	isSwitch := func(name string) bool { n := b.nodes[name]; return n != nil && n.Kind == KindSwitch }
	for _, li := range b.links {
		if a, c := li.link.Ends[0].Node, li.link.Ends[1].Node; li.ok && isSwitch(a) && isSwitch(c) {
			lanOf[find(a)] = find(c)
		}
	}
	router := func(name string) *Node {
		if n := b.nodes[name]; n != nil && n.Kind == KindHost && n.Forward {
			return n
		}
		return nil
	}
	lans := map[string][]*Node{}
	var out [][]*Node
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		a, c := li.link.Ends[0].Node, li.link.Ends[1].Node
		switch {
		case isSwitch(a) && router(c) != nil:
			lans[find(a)] = append(lans[find(a)], router(c))
		case isSwitch(c) && router(a) != nil:
			lans[find(c)] = append(lans[find(c)], router(a))
		case router(a) != nil && router(c) != nil:
			out = append(out, []*Node{router(a), router(c)})
		}
	}
	roots := make([]string, 0, len(lans))
	for r := range lans {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		out = append(out, lans[r])
	}
	return out
}

// Reachable is the set of nodes adj (each node's neighbours) joins to
// from, from included. Pure.
func Reachable(adj map[string][]string, from string) map[string]bool {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range adj[x] {
			if !seen[y] {
				seen[y] = true
				queue = append(queue, y)
			}
		}
	}
	return seen
}
