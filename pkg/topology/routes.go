package topology

import (
	"net/netip"
	"strings"
)

// buildRoutes parses static routes, checks each gateway is on a subnet
// of the host, and adds the default routes that gateway: auto asks for.
func (b *builder) buildRoutes() {
	for _, rn := range b.raw.hosts {
		n := b.nodes[rn.name]
		if n == nil {
			continue
		}
		prefixes := b.hostPrefixes(n.Name)
		dests := map[netip.Prefix]Pos{} // destination -> where written
		for _, rr := range rn.routes {
			r, ok := b.parseRoute(n.Name, rr)
			if !ok {
				continue
			}
			if prev, dup := dests[r.To]; dup {
				to, _, _ := strings.Cut(r.String(), " via ")
				b.errorf(rr.to.at, sprintf("keep one route per destination (the other is on line %d)", prev.Line), "host %s: two routes to %s", n.Name, to)
				continue
			}
			dests[r.To] = rr.to.at
			if own(prefixes, r.Via) {
				b.errorf(rr.via.at, "write the next router's address on the shared subnet, not the host's own",
					"host %s: route %s: the gateway %s is %s's own address: a host cannot send to itself as a router (the kernel refuses it: \"Nexthop has invalid gateway\")", n.Name, r, r.Via, n.Name)
				continue
			}
			if !onLink(prefixes, r.Via) {
				b.errorf(rr.via.at, "the gateway must be an address on one of the host's subnets", "host %s: route %s: no interface of %s reaches %s", n.Name, r, n.Name, r.Via)
				continue
			}

			n.Routes = append(n.Routes, r)
		}
		gw := rn.gateway
		if gw.s == "" && b.raw.gateway.s != "" && !n.Forward {
			gw = b.raw.gateway
		}
		switch gw.s {
		case "":
		case "auto":
			b.autoGateway(n, prefixes, gw.at)
		default:
			b.errorf(gw.at, "write gateway: auto, or a route {to: default, via: ADDRESS}", "gateway %q is not valid", gw.s)
		}
	}
}

func (b *builder) parseRoute(host string, rr *rawRoute) (Route, bool) {
	via, err := netip.ParseAddr(rr.via.s)
	if err != nil {
		at := rr.via.at
		if at.Line == 0 {
			at = rr.at // no via: at all
		}
		b.errorf(at, "write via: 10.0.0.1 (an address, no prefix length)", "host %s: route via %q is not an address", host, rr.via.s)
		return Route{}, false
	}
	r := Route{Via: via, Pos: rr.at}
	switch rr.to.s {
	case "":
		b.errorf(rr.at, "write to: default or to: 10.0.9.0/24", "host %s: route has no destination", host)
		return Route{}, false
	case "default":
		r.To = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if via.Is6() {
			r.To = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	default:
		to, err := netip.ParsePrefix(rr.to.s)
		if why := prefixLenText(rr.to.s); err != nil && why != "" {
			b.errorf(rr.to.at, prefixLenHint, "host %s: route to %q: %s", host, rr.to.s, why)
			return Route{}, false
		}
		if err != nil {
			b.errorf(rr.to.at, "write a subnet such as 10.0.9.0/24, or default", "host %s: route to %q is not a subnet", host, rr.to.s)
			return Route{}, false
		}
		if to != to.Masked() {
			b.errorf(rr.to.at, sprintf("write %s", to.Masked()), "host %s: route to %s has host bits set", host, to)
			return Route{}, false
		}
		if to.Addr().Is4() != via.Is4() {
			b.errorf(rr.at, "an IPv4 destination needs an IPv4 gateway, IPv6 an IPv6 one", "host %s: route to %s via %s mixes address families", host, to, via)
			return Route{}, false
		}
		r.To = to
	}
	return r, true
}

// autoGateway points the host's default route, per address family, at
// the one router sharing a subnet with it.
func (b *builder) autoGateway(n *Node, prefixes []netip.Prefix, at Pos) {
	if n.Forward {
		return
	}
	found := false
	for _, v4 := range []bool{true, false} {
		if hasDefault(n.Routes, v4) || !hasFamily(prefixes, v4) {
			continue
		}
		routers := map[string]netip.Addr{}
		var names []string
		for _, r := range b.routers() {
			if r.Name == n.Name {
				continue
			}
			for _, rp := range b.hostPrefixes(r.Name) {
				if rp.Addr().Is4() == v4 && onLink(prefixes, rp.Addr()) {
					if _, dup := routers[r.Name]; !dup {
						routers[r.Name] = rp.Addr()
						names = append(names, r.Name)
					}
				}
			}
		}
		switch len(routers) {
		case 0:
			continue
		case 1:
			found = true
			to := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			if !v4 {
				to = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
			n.Routes = append(n.Routes, Route{To: to, Via: routers[names[0]], Pos: at})
		default:
			found = true
			b.errorf(at, "write the default route by hand: routes: [{to: default, via: ADDRESS}]", "host %s: gateway: auto found several %s routers on its subnets (%v)", n.Name, family(v4), names)
		}
	}
	if !found && len(prefixes) > 0 {
		b.errorf(at, "give a host on its subnet forward: true, or write the route by hand", "host %s: gateway: auto found no router (a host with forward: true) on its subnets", n.Name)
	}
}

// hostPrefixes returns the addresses of a node's interfaces, computed
// once for all nodes after addressing.
func (b *builder) hostPrefixes(node string) []netip.Prefix {
	if b.prefixes == nil {
		b.prefixes = map[string][]netip.Prefix{}
		for _, li := range b.links {
			if !li.ok {
				continue
			}
			for _, e := range li.link.Ends {
				b.prefixes[e.Node] = append(b.prefixes[e.Node], e.Addresses...)
			}
		}
	}
	return b.prefixes[node]
}

// routers lists the nodes with forward: true.
func (b *builder) routers() []*Node {
	var out []*Node
	for _, n := range b.lab.Nodes {
		if n.Forward {
			out = append(out, n)
		}
	}
	return out
}

// own reports whether a is one of the addresses of prefixes.
func own(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

func onLink(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Masked().Contains(a) && p.Addr() != a {
			return true
		}
	}
	return false
}

func hasDefault(routes []Route, v4 bool) bool {
	for _, r := range routes {
		if r.To.Bits() == 0 && r.To.Addr().Is4() == v4 {
			return true
		}
	}
	return false
}
