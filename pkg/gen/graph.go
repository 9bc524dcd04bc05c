package gen

import (
	"net/netip"
	"strconv"
)

// node names a host (hN) or a switch (sN) of a generated lab.
type node struct {
	host bool
	n    int
}

// String renders the node's name: h3 or s17.
func (n node) String() string {
	if n.host {
		return "h" + strconv.Itoa(n.n)
	}
	return "s" + strconv.Itoa(n.n)
}

// edge is one link, in the endpoint order Mininet's addLink received.
type edge struct{ a, b node }

// graph is a generated lab before it is written out. Hosts and switches
// are numbered from 1 in creation order, as Mininet numbers them.
type graph struct {
	hosts    int
	switches int
	// stp is set when the shape has loops: every switch runs spanning
	// tree.
	stp   bool
	links []edge
}

// addHost creates the next host, h1, h2, ...
func (g *graph) addHost() node {
	g.hosts++
	return node{host: true, n: g.hosts}
}

// addSwitch creates the next switch, s1, s2, ...
func (g *graph) addSwitch() node {
	g.switches++
	return node{n: g.switches}
}

// addLink records a link between two nodes, like Mininet's addLink.
func (g *graph) addLink(a, b node) { g.links = append(g.links, edge{a, b}) }

// ports counts the links of every switch; ports[i] is that of s(i+1).
func (g *graph) ports() []int {
	p := make([]int, g.switches)
	for _, e := range g.links {
		for _, n := range [2]node{e.a, e.b} {
			if !n.host {
				p[n.n-1]++
			}
		}
	}
	return p
}

// hostAddr is Mininet's address for host hI: ipAdd(i, prefixLen=8,
// ipBaseNum=0x0a000000) with "/8" appended, i.e. 10.0.0.0 + i.
func hostAddr(i int) netip.Prefix {
	v := uint32(0x0a000000) + uint32(i)
	a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return netip.PrefixFrom(a, 8)
}
