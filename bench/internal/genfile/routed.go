package genfile

import (
	"fmt"
	"net/netip"
	"strings"
)

// RoutedStar is a lab of n hosts around one forwarding router r1:
// host hK alone on 10.0.K.0/24 (.10) with r1 at .1 and its default
// route via r1, so every host-to-host pair crosses the router.
func RoutedStar(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# a routed star: %d hosts, each on its own /24, around one router\nname: %s\nhosts:\n  r1:\n    forward: true\n", n, name)
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&b, "  h%d:\n    routes:\n      - {to: default, via: 10.0.%d.1}\n", k, k)
	}
	b.WriteString("links:\n")
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&b, "  - endpoints: [h%d:eth0, r1:eth%d]\n    addresses: [10.0.%d.10/24, 10.0.%d.1/24]\n", k, k-1, k, k)
	}
	return b.String()
}

// RouterChain is a lab of routers r1..rN in a line, each with perRouter
// hosts of its own: host hK of router rJ alone on 10.J.K.0/24 (.10,
// the router at .1, its default route via it); rJ and rJ+1 joined by
// 10.J.255.0/30 (rJ at .1, rJ+1 at .2: inside rJ's /16), each router
// with routes to the other routers' /16s via its neighbour on that
// side. A host on r1 reaches one on rN through
// N routers.
func RouterChain(name string, routers, perRouter int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# a chain of %d routers with %d hosts each, every host on its own /24\nname: %s\nhosts:\n", routers, perRouter, name)
	h := 0
	for j := 1; j <= routers; j++ {
		fmt.Fprintf(&b, "  r%d:\n    forward: true\n", j)
		var routes []string
		for o := 1; o <= routers; o++ {
			switch {
			case o < j:
				routes = append(routes, fmt.Sprintf("      - {to: 10.%d.0.0/16, via: 10.%d.255.1}\n", o, j-1))
			case o > j:
				routes = append(routes, fmt.Sprintf("      - {to: 10.%d.0.0/16, via: 10.%d.255.2}\n", o, j))
			}
		}
		if len(routes) > 0 {
			b.WriteString("    routes:\n" + strings.Join(routes, ""))
		}
		for k := 1; k <= perRouter; k++ {
			h++
			fmt.Fprintf(&b, "  h%d:\n    routes:\n      - {to: default, via: 10.%d.%d.1}\n", h, j, k)
		}
	}
	b.WriteString("links:\n")
	h = 0
	for j := 1; j <= routers; j++ {
		for k := 1; k <= perRouter; k++ {
			h++
			fmt.Fprintf(&b, "  - endpoints: [h%d:eth0, r%d:eth%d]\n    addresses: [10.%d.%d.10/24, 10.%d.%d.1/24]\n", h, j, k-1, j, k, j, k)
		}
	}
	for j := 1; j < routers; j++ {
		fmt.Fprintf(&b, "  - endpoints: [r%d:up, r%d:down]\n    addresses: [10.%d.255.1/30, 10.%d.255.2/30]\n", j, j+1, j, j)
	}
	return b.String()
}

// Addrs maps each host to all its addresses, in link order.
func (l *Lab) Addrs() map[string][]netip.Addr {
	m := map[string][]netip.Addr{}
	for _, lk := range l.Links {
		for _, e := range []End{lk.A, lk.B} {
			if !e.Switch && e.Addr.IsValid() {
				m[e.Node] = append(m[e.Node], e.Addr.Addr())
			}
		}
	}
	return m
}

// Prefixes maps each host to the prefixes of its addresses.
func (l *Lab) Prefixes() map[string][]netip.Prefix {
	m := map[string][]netip.Prefix{}
	for _, lk := range l.Links {
		for _, e := range []End{lk.A, lk.B} {
			if !e.Switch && e.Addr.IsValid() {
				m[e.Node] = append(m[e.Node], e.Addr)
			}
		}
	}
	return m
}
