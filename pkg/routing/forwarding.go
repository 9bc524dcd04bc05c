package routing

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Every adjacency Full and every route present is not yet convergence:
// right after a link goes down, a router that has not run its SPF
// again still sends some prefixes out of the dead interface, or to a
// neighbour that now sends them back. Detours follows the routes the
// routers have installed, hop by hop, and names each prefix whose
// packets would not get there.

// NextHop is one next hop of an installed route: the neighbour's
// address (invalid for a connected route) and the interface.
type NextHop struct {
	Addr  netip.Addr
	Iface string
}

// RIB is what one router has installed: each prefix with its next hops
// (none for a prefix it is connected to).
type RIB map[netip.Prefix][]NextHop

// Detour is a prefix a router's packets would not reach: Why says how
// ("loops: r4 → r1 → r4", "leaves r1 by eth1, which is down").
type Detour struct {
	Router string
	Prefix netip.Prefix
	Why    string
}

// Detours follows, from each router, the installed routes (ribs, by
// router) to each prefix it must learn (Routes), through every next
// hop of an equal-cost route, and returns those that loop, leave by an
// interface of a link that is down, or end at a router without a route.
// A next hop that is no router of ribs (a host, an address of no link),
// and a router that offers the prefix itself (its subnet, its BGP
// announcement, whether or not it has a route to it), end the walk:
// nothing there to judge. Sorted by router and prefix.
func Detours(l *topology.Lab, ribs map[string]RIB) []Detour {
	if !l.NeedsFRR() {
		return nil
	}
	down := map[string]bool{} // "node:iface" of links that are down
	owner := map[netip.Addr]string{}
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if lk.Down {
				down[e.String()] = true
				continue
			}
			for _, a := range e.Addresses {
				owner[a.Addr()] = e.Node
			}
		}
	}
	origin := map[netip.Prefix]map[string]bool{}
	g := upGraph(l)
	for _, proto := range []string{"ospf", "bgp"} {
		for _, v4 := range []bool{true, false} {
			for r, ps := range offered(l, g, proto, v4) {
				for _, p := range ps {
					if origin[p] == nil {
						origin[p] = map[string]bool{}
					}
					origin[p][r] = true
				}
			}
		}
	}
	var out []Detour
	routers := make([]string, 0, len(ribs))
	for r := range ribs {
		routers = append(routers, r)
	}
	sort.Strings(routers)
	want := Routes(l)
	for _, r := range routers {
		for _, p := range want[r] {
			w := walker{ribs: ribs, down: down, owner: owner, prefix: p, done: map[string]bool{}, origin: origin[p]}
			if why := w.from(r, nil); why != "" {
				out = append(out, Detour{Router: r, Prefix: p, Why: why})
			}
		}
	}
	return out
}

// walker follows one prefix through the routers' RIBs.
type walker struct {
	ribs   map[string]RIB
	down   map[string]bool
	owner  map[netip.Addr]string
	prefix netip.Prefix
	// origin holds the routers that offer the prefix.
	origin map[string]bool
	// done holds the routers from which every path is known to arrive.
	done map[string]bool
}

// from walks from router x, reached by path (the routers before it),
// and says why the prefix is not reached from there ("" when it is).
func (w *walker) from(x string, path []string) string {
	if w.done[x] {
		return ""
	}
	path = append(path, x)
	for i, y := range path[:len(path)-1] {
		if y == x {
			return "loops: " + strings.Join(path[i:], " → ")
		}
	}
	rib := w.ribs[x]
	if rib == nil || w.origin[x] {
		return ""
	}
	hops, ok := rib[w.prefix]
	if !ok {
		if len(path) == 1 {
			return "" // the router's own missing route is said elsewhere
		}
		return "ends at " + x + ", which has no route to it: " + strings.Join(path, " → ")
	}
	for _, h := range hops {
		if w.down[x+":"+h.Iface] {
			return "leaves " + x + " by " + h.Iface + ", which is down: " + strings.Join(path, " → ")
		}
		next, ok := w.owner[h.Addr]
		if !h.Addr.IsValid() || !ok {
			continue
		}
		if why := w.from(next, path); why != "" {
			return why
		}
	}
	w.done[x] = true
	return ""
}
