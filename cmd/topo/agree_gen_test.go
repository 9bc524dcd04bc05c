package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// agreeLab is a randomly generated lab for the agreement test: routers
// in a chain, each with LANs of hosts (on a switch or a direct link),
// dual-stack, routed both ways; and the ways to break it.
type agreeLab struct {
	body string
	// routers and hosts by name; the links as "node:iface" pairs.
	routers, hosts []string
	links          [][2]string
	// routes are "node|family|destination|gateway" of every route
	// written, to remove one.
	routes []string
	// gateways maps a host to its router's address on its LAN (v4,
	// v6), for a bogus neighbour entry.
	gateways map[string][2]string
}

// genAgreeLab makes one lab from rng. Pure.
func genAgreeLab(rng *rand.Rand) *agreeLab {
	a := &agreeLab{gateways: map[string][2]string{}}
	nr := 1 + rng.IntN(2)
	type lan struct {
		router string
		net    int
	}
	var lans []lan
	var b strings.Builder
	var links []string
	ifaces := map[string]int{}
	next := func(node string) string {
		i := ifaces[node]
		ifaces[node]++
		return fmt.Sprintf("%s:eth%d", node, i)
	}
	hostRoutes := map[string][]string{}
	nets := 0
	switches := []string{}
	for r := 1; r <= nr; r++ {
		a.routers = append(a.routers, fmt.Sprintf("r%d", r))
	}
	// The chain between routers: net 100+r between r and r+1.
	for r := 1; r < nr; r++ {
		x, y := next(fmt.Sprintf("r%d", r)), next(fmt.Sprintf("r%d", r+1))
		links = append(links, fmt.Sprintf("  - endpoints: [%s, %s]\n    addresses: [[10.0.%d.1/24, \"fd00:%d::1/64\"], [10.0.%d.2/24, \"fd00:%d::2/64\"]]\n", x, y, 100+r, 100+r, 100+r, 100+r))
		a.links = append(a.links, [2]string{x, y})
	}
	hn := 0
	for r := 1; r <= nr; r++ {
		router := fmt.Sprintf("r%d", r)
		for range 1 + rng.IntN(2) {
			nets++
			n := nets
			lans = append(lans, lan{router, n})
			members := 1 + rng.IntN(2)
			rEnd := next(router)
			var hostEnds []string
			for range members {
				hn++
				h := fmt.Sprintf("h%d", hn)
				a.hosts = append(a.hosts, h)
				hostEnds = append(hostEnds, next(h))
				hostRoutes[h] = []string{fmt.Sprintf("{to: default, via: 10.0.%d.1}", n), fmt.Sprintf("{to: default, via: \"fd00:%d::1\"}", n)}
				a.routes = append(a.routes, h+"|4|default|", h+"|6|default|")
				a.gateways[h] = [2]string{fmt.Sprintf("10.0.%d.1", n), fmt.Sprintf("fd00:%d::1", n)}
			}
			if members == 1 && rng.IntN(2) == 0 {
				links = append(links, fmt.Sprintf("  - endpoints: [%s, %s]\n    addresses: [[10.0.%d.1/24, \"fd00:%d::1/64\"], [10.0.%d.10/24, \"fd00:%d::10/64\"]]\n", rEnd, hostEnds[0], n, n, n, n))
				a.links = append(a.links, [2]string{rEnd, hostEnds[0]})
				continue
			}
			s := fmt.Sprintf("s%d", n)
			switches = append(switches, s)
			links = append(links, fmt.Sprintf("  - endpoints: [%s, %s]\n    addresses: [[10.0.%d.1/24, \"fd00:%d::1/64\"]]\n", rEnd, s, n, n))
			a.links = append(a.links, [2]string{rEnd, s + ":eth0"})
			for i, e := range hostEnds {
				links = append(links, fmt.Sprintf("  - endpoints: [%s, %s]\n    addresses: [[10.0.%d.%d/24, \"fd00:%d::%d/64\"]]\n", e, s, n, 10+i, n, 10+i))
				a.links = append(a.links, [2]string{e, fmt.Sprintf("%s:eth%d", s, i+1)})
			}
		}
	}
	// Routers: every LAN of another router through the chain.
	routerRoutes := map[string][]string{}
	for r := 1; r <= nr; r++ {
		router := fmt.Sprintf("r%d", r)
		for _, l := range lans {
			if l.router == router {
				continue
			}
			var o int
			fmt.Sscanf(l.router, "r%d", &o)
			var gw4, gw6 string
			if o > r { // toward r+1 on net 100+r
				gw4, gw6 = fmt.Sprintf("10.0.%d.2", 100+r), fmt.Sprintf("fd00:%d::2", 100+r)
			} else { // toward r-1 on net 100+r-1
				gw4, gw6 = fmt.Sprintf("10.0.%d.1", 100+r-1), fmt.Sprintf("fd00:%d::1", 100+r-1)
			}
			routerRoutes[router] = append(routerRoutes[router],
				fmt.Sprintf("{to: 10.0.%d.0/24, via: %s}", l.net, gw4), fmt.Sprintf("{to: \"fd00:%d::/64\", via: \"%s\"}", l.net, gw6))
			a.routes = append(a.routes, fmt.Sprintf("%s|4|10.0.%d.0/24|", router, l.net), fmt.Sprintf("%s|6|fd00:%d::/64|", router, l.net))
		}
		// And the chain nets beyond the next router.
		for c := 1; c < nr; c++ {
			if c == r || c == r-1 {
				continue
			}
			gw4, gw6 := fmt.Sprintf("10.0.%d.2", 100+r), fmt.Sprintf("fd00:%d::2", 100+r)
			if c < r {
				gw4, gw6 = fmt.Sprintf("10.0.%d.1", 100+r-1), fmt.Sprintf("fd00:%d::1", 100+r-1)
			}
			routerRoutes[router] = append(routerRoutes[router],
				fmt.Sprintf("{to: 10.0.%d.0/24, via: %s}", 100+c, gw4), fmt.Sprintf("{to: \"fd00:%d::/64\", via: \"%s\"}", 100+c, gw6))
		}
	}
	b.WriteString("hosts:\n")
	for _, r := range a.routers {
		fmt.Fprintf(&b, "  %s:\n    forward: true\n", r)
		if rs := routerRoutes[r]; len(rs) > 0 {
			fmt.Fprintf(&b, "    routes: [%s]\n", strings.Join(rs, ", "))
		}
	}
	for _, h := range a.hosts {
		fmt.Fprintf(&b, "  %s:\n    routes: [%s]\n", h, strings.Join(hostRoutes[h], ", "))
	}
	if len(switches) > 0 {
		b.WriteString("switches:\n")
		for _, s := range switches {
			fmt.Fprintf(&b, "  %s: {}\n", s)
		}
	}
	b.WriteString("links:\n")
	for _, l := range links {
		b.WriteString(l)
	}
	a.body = b.String()
	return a
}

// breaks returns 1 to 3 commands that break the lab lab (namespaces
// named ns(node)), each a command line and what it does.
func (a *agreeLab) breaks(rng *rand.Rand, labName string, ns func(string) string) [][]string {
	var out [][]string
	all := append(append([]string(nil), a.routers...), a.hosts...)
	for range 1 + rng.IntN(3) {
		switch rng.IntN(6) {
		case 0: // a link down
			l := a.links[rng.IntN(len(a.links))]
			end := l[rng.IntN(2)]
			if strings.HasPrefix(end, "s") {
				end = l[0]
			}
			out = append(out, []string{"topo", "link", "--lab", labName, end, "down"})
		case 1: // a route removed
			r := strings.Split(a.routes[rng.IntN(len(a.routes))], "|")
			out = append(out, []string{"ip", "-" + r[1], "-n", ns(r[0]), "route", "del", r[2]})
		case 2: // forwarding off
			r := a.routers[rng.IntN(len(a.routers))]
			key := []string{"net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"}[rng.IntN(2)]
			out = append(out, []string{"ip", "netns", "exec", ns(r), "sysctl", "-qw", key})
		case 3: // echo ignored
			n := all[rng.IntN(len(all))]
			key := []string{"net.ipv4.icmp_echo_ignore_all=1", "net.ipv6.icmp.echo_ignore_all=1"}[rng.IntN(2)]
			out = append(out, []string{"ip", "netns", "exec", ns(n), "sysctl", "-qw", key})
		case 4: // a bogus static neighbour entry for a host's gateway
			h := a.hosts[rng.IntN(len(a.hosts))]
			gw := a.gateways[h][rng.IntN(2)]
			out = append(out, []string{"ip", "-n", ns(h), "neigh", "replace", gw, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "permanent"})
		case 5: // an nftables drop
			n := all[rng.IntN(len(all))]
			hook := []string{"input", "output", "forward"}[rng.IntN(3)]
			match := []string{"icmp type echo-request", "icmpv6 type echo-request", "icmp type echo-reply", "ip6 nexthdr ipv6-icmp"}[rng.IntN(4)]
			out = append(out, []string{"ip", "netns", "exec", ns(n), "nft", fmt.Sprintf("add table inet t%d; add chain inet t%d c { type filter hook %s priority 0; }; add rule inet t%d c %s drop", len(out), len(out), hook, len(out), match)})
		}
	}
	return out
}
