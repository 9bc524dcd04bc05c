package topology

import (
	"net/netip"
	"sort"
)

// lint warns about the classic addressing mistakes, each at the
// address that makes it, with what the kernel will do because of it:
// a point-to-point link whose ends are on different subnets, one
// subnet written with different lengths on one link or LAN, and one
// subnet on two links or LANs that are not joined. Warnings only (see
// Problem); `topo validate --strict` refuses them. Only for files
// without errors.
func (b *builder) lint() {
	if b.failed() {
		return // errors first: warnings on top of them are noise
	}
	type addrAt struct {
		end Endpoint
		p   netip.Prefix
		at  Pos
	}
	// Each segment (a host-to-host link, or a LAN of joined switches)
	// with the host addresses on it.
	comp := b.switchComponents()
	segments := map[string][]addrAt{}
	var order []string
	segLine := map[string]int{}
	for li, l := range b.links {
		if !l.ok {
			continue
		}
		seg := ""
		for _, e := range l.link.Ends {
			if c, ok := comp[e.Node]; ok {
				seg = "lan:" + c
			}
		}
		if seg == "" {
			seg = sprintf("link:%d", li)
		}
		if _, ok := segments[seg]; !ok {
			order = append(order, seg)
			segLine[seg] = l.link.Pos.Line
		}
		for i, e := range l.link.Ends {
			if _, isSwitch := comp[e.Node]; isSwitch {
				continue
			}
			for k, p := range e.Addresses {
				if p.Addr().IsLinkLocalUnicast() {
					continue
				}
				segments[seg] = append(segments[seg], addrAt{e, p, l.addrPos(i, k)})
			}
		}
	}
	type netAt struct {
		seg string
		a   addrAt
	}
	firstNet := map[netip.Prefix]netAt{}
	// subnet is the addresses of a segment seen so far on one subnet
	// (by index): a new address is compared with the whole of a subnet
	// at once, as every member of one answers alike, so a LAN of 10,000
	// hosts on one subnet costs 10,000 steps, not 50 million.
	type subnet struct {
		net     netip.Prefix
		members []int
	}
	for _, seg := range order {
		addrs := segments[seg]
		pointToPoint := len(addrs) > 0 && seg[:5] == "link:"
		var subnets []*subnet
		byNet := map[netip.Prefix]*subnet{}
		for j, a := range addrs {
			// The earlier addresses that may be warned about, in order:
			// those of another subnet that overlaps a's (one holds the
			// other), or, on a point-to-point link, of any other subnet.
			var earlier []int
			for _, s := range subnets {
				if s.net != a.p.Masked() && (pointToPoint || s.net.Overlaps(a.p.Masked())) {
					earlier = append(earlier, s.members...)
				}
			}
			sort.Ints(earlier)
			if s := byNet[a.p.Masked()]; s != nil {
				s.members = append(s.members, j)
			} else {
				s = &subnet{net: a.p.Masked(), members: []int{j}}
				subnets = append(subnets, s)
				byNet[s.net] = s
			}
			for _, k := range earlier {
				o := addrs[k]
				if o.end.Node == a.end.Node || o.p.Addr().Is4() != a.p.Addr().Is4() {
					continue
				}
				switch {
				case o.p.Masked() == a.p.Masked():
				case o.p.Contains(a.p.Addr()) || a.p.Contains(o.p.Addr()):
					b.warnf(a.at, sprintf("write the same prefix length on every end of a link (%s has /%d)", o.end, o.p.Bits()),
						"%s is %s but %s is %s: the same subnet with different lengths, so %s takes %s as on-link and %s takes %s; replies to the addresses in between go astray",
						a.end, a.p, o.end, o.p, a.end.Node, a.p.Masked(), o.end.Node, o.p.Masked())
				case pointToPoint:
					b.warnf(a.at, sprintf("put both ends in one subnet, e.g. %s and %s", o.p, sibling(o.p, a.p.Addr())),
						"%s (%s) and %s (%s) are on different subnets: neither takes the other as on-link, so they cannot reach each other across their own link without routes",
						o.end, o.p, a.end, a.p)
				}
			}
			net := a.p.Masked()
			if first, ok := firstNet[net]; ok && first.seg != seg && first.a.end.Node != a.end.Node {
				b.warnf(a.at, "give each link or LAN its own subnet, or join them with a switch",
					"subnet %s is on two links that are not joined (%s on line %d, and %s here): hosts on one take the others as on-link and ask for them with ARP/NDP in vain",
					net, first.a.end, first.a.at.Line, a.end)
				continue
			}
			if _, ok := firstNet[net]; !ok {
				firstNet[net] = netAt{seg, a}
			}
		}
	}
}

// sibling suggests an address of subnet p for an end that has addr: the
// address with addr's host part in p, when it is free of p's own.
func sibling(p netip.Prefix, addr netip.Addr) string {
	if !p.Addr().Is4() || !addr.Is4() {
		return "an address of " + p.Masked().String()
	}
	pa, aa := p.Masked().Addr().As4(), addr.As4()
	bits := p.Bits()
	var out [4]byte
	for i := range out {
		keep := 0
		if n := bits - 8*i; n >= 8 {
			keep = 8
		} else if n > 0 {
			keep = n
		}
		mask := byte(0xff << (8 - keep))
		out[i] = pa[i]&mask | aa[i]&^mask
	}
	s := netip.AddrFrom4(out)
	if s == p.Addr() || s == p.Masked().Addr() {
		s = p.Addr().Next()
	}
	if !p.Masked().Contains(s.Next()) { // s is past the hosts
		return "an address of " + p.Masked().String()
	}
	return netip.PrefixFrom(s, bits).String()
}
