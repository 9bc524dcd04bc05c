package topology

import (
	"math/big"
	"net/netip"
)

// An addressing unit is one broadcast domain: a host-to-host link, or
// every host port of a group of switches joined by links.
type unit struct {
	key string
	at  Pos // the unit's first link
	// subnets given in the file for the unit (link or switch `subnet:`),
	// and where each is written.
	subnets []netip.Prefix
	subAt   []Pos
	ends    []*Endpoint
	// explicit[i] tells whether ends[i] had addresses in the file.
	explicit []bool
	// addrPos[i] says where ends[i]'s k-th address is written.
	addrPos []func(k int) Pos
}

// assignAddresses gives every host end without an explicit address the
// next free address of its unit's subnet, carving unit subnets from the
// lab-wide addressing pools where the file gives none.
func (b *builder) assignAddresses() {
	units := b.units()
	pools := b.pools()
	used := map[netip.Addr]bool{}
	var usedNets []netip.Prefix
	for _, li := range b.links {
		for _, e := range li.link.Ends {
			for _, p := range e.Addresses {
				used[p.Addr()] = true
				usedNets = append(usedNets, p.Masked())
			}
		}
	}
	for _, u := range units {
		usedNets = append(usedNets, u.subnets...)
	}
	next := map[bool]int64{} // per family: next pool block to try
	for _, u := range units {
		for _, v4 := range []bool{true, false} {
			if !u.needs(v4) {
				// Nothing to address (a LAN of switches only, or every
				// end written by hand): carve no block for it.
				continue
			}
			subnet, at, ok := u.subnetFor(v4)
			explicitSubnet := ok
			if !ok {
				pool, has := pools[v4]
				if !has {
					continue
				}
				poolAt := b.raw.addressing.ipv6.at
				if v4 {
					poolAt = b.raw.addressing.ipv4.at
				}
				if p, explicit := u.explicitSubnet(v4); explicit {
					// Partly addressed by hand: the rest joins that subnet.
					b.fill(u, p, u.at, used, false)
					continue
				}
				subnet, ok = b.carve(pool, v4, &next, usedNets)
				if !ok {
					b.errorf(poolAt, "give the addressing block a larger pool", "addressing pool %s ran out: no free /%d left for the link on line %d", pool, carveBits(v4), u.at.Line)
					return
				}
				usedNets = append(usedNets, subnet)
				at = poolAt
			}
			b.fill(u, subnet, at, used, explicitSubnet)
		}
	}
}

// fill gives the unit's unaddressed ends addresses from subnet, which
// is written at at (the subnet, or the pool it was carved from).
func (b *builder) fill(u *unit, subnet netip.Prefix, at Pos, used map[netip.Addr]bool, strict bool) {
	first, count := hostRange(subnet)
	var need []*Endpoint
	for j, e := range u.ends {
		if !hasFamily(e.Addresses, subnet.Addr().Is4()) {
			if !e.DynamicFor(subnet.Addr().Is4()) {
				need = append(need, e)
			}
			continue
		}
		for k, p := range e.Addresses {
			if strict && p.Addr().Is4() == subnet.Addr().Is4() && !subnet.Contains(p.Addr()) {
				b.errorf(u.addrPos[j](k), "put the address inside the subnet, or drop one of them", "%s: address %s is outside its LAN's subnet %s", e, p, subnet)
			}
		}
	}
	if len(need) == 0 {
		return
	}
	var k int64
	skipped := 0
	for _, e := range need {
		for {
			if k >= count {
				b.errorf(at, "choose a larger subnet", "subnet %s is too small: it has room for %d hosts, and %d need an address", subnet, count, len(need))
				return
			}
			a, _ := addrAdd(first, big.NewInt(k))
			k++
			if checkHostAddr(netip.PrefixFrom(a, subnet.Bits())) != "" {
				// e.g. ::1 when the subnet is ::/64; only ever a few.
				if skipped++; skipped > 16 {
					b.errorf(at, "choose a unicast subnet such as 10.0.0.0/24 or fd00::/64", "subnet %s has no addresses an interface can take", subnet)
					return
				}
				continue
			}
			if !used[a] {
				used[a] = true
				e.Addresses = append(e.Addresses, netip.PrefixFrom(a, subnet.Bits()))
				break
			}
		}
	}
}

func (b *builder) carve(pool netip.Prefix, v4 bool, next *map[bool]int64, usedNets []netip.Prefix) (netip.Prefix, bool) {
	bits := max(carveBits(v4), pool.Bits())
	for {
		cand, ok := nthSubnet(pool, bits, (*next)[v4])
		if !ok {
			return netip.Prefix{}, false
		}
		(*next)[v4]++
		clash := false
		for _, u := range usedNets {
			if !overlaps(u, cand) {
				continue
			}
			clash = true
			if u.Bits() < bits {
				// A used net larger than a block: skip every block in
				// it at once, or a wide pool takes forever.
				k, ok := blockAfter(pool, bits, u)
				if !ok {
					return netip.Prefix{}, false
				}
				(*next)[v4] = max((*next)[v4], k)
			}
			break
		}
		if !clash {
			return cand, true
		}
	}
}

func carveBits(v4 bool) int {
	if v4 {
		return 24
	}
	return 64
}

// pools parses the lab-wide addressing block.
func (b *builder) pools() map[bool]netip.Prefix {
	out := map[bool]netip.Prefix{}
	a := b.raw.addressing
	if a == nil {
		return out
	}
	for _, c := range []struct {
		t  text
		v4 bool
	}{{a.ipv4, true}, {a.ipv6, false}} {
		if c.t.s == "" {
			continue
		}
		p, err := netip.ParsePrefix(c.t.s)
		if why := prefixLenText(c.t.s); err != nil && why != "" {
			b.errorf(c.t.at, prefixLenHint, "addressing pool %q: %s", c.t.s, why)
			continue
		}
		if err != nil || p.Addr().Is4() != c.v4 {
			b.errorf(c.t.at, "write e.g. addressing: {ipv4: 10.0.0.0/16, ipv6: \"fd00::/48\"}", "addressing pool %q is not an %s prefix", c.t.s, family(c.v4))
			continue
		}
		if p != p.Masked() {
			b.errorf(c.t.at, sprintf("write %s", p.Masked()), "addressing pool %s has host bits set", p)
			continue
		}
		if p.Bits() == 0 {
			b.errorf(c.t.at, "write e.g. addressing: {ipv4: 10.0.0.0/16, ipv6: \"fd00::/48\"}", "addressing pool %s covers every address", p)
			continue
		}
		out[c.v4] = p
	}
	return out
}

// units groups the host ends of valid links into broadcast domains, in
// the order they first appear in the file.
func (b *builder) units() []*unit {
	comp := b.switchComponents()
	byKey := map[string]*unit{}
	var order []*unit
	get := func(key string, at Pos) *unit {
		u := byKey[key]
		if u == nil {
			u = &unit{key: key, at: at}
			byKey[key] = u
			order = append(order, u)
		}
		return u
	}
	for idx, li := range b.links {
		if !li.ok {
			continue
		}
		key := sprintf("link%d", idx)
		for _, e := range li.link.Ends {
			if b.nodes[e.Node].Kind == KindSwitch {
				key = "lan:" + comp[e.Node]
			}
		}
		u := get(key, li.raw.at)
		u.addSubnets(b, li.raw.subnets)
		for i := range li.link.Ends {
			e := &li.link.Ends[i]
			if b.nodes[e.Node].Kind == KindSwitch {
				continue
			}
			u.ends = append(u.ends, e)
			u.explicit = append(u.explicit, li.explicit[i])
			u.addrPos = append(u.addrPos, func(k int) Pos { return li.addrPos(i, k) })
		}
	}
	for _, rn := range b.raw.switches {
		if len(rn.subnets) == 0 || b.nodes[rn.name] == nil {
			continue
		}
		if u := byKey["lan:"+comp[rn.name]]; u != nil {
			u.addSubnets(b, rn.subnets)
		}
	}
	return order
}

func (u *unit) addSubnets(b *builder, subnets []text) {
	for _, t := range subnets {
		p, err := netip.ParsePrefix(t.s)
		if why := prefixLenText(t.s); err != nil && why != "" {
			b.errorf(t.at, prefixLenHint, "subnet %q: %s", t.s, why)
			continue
		}
		if err != nil {
			b.errorf(t.at, "write a subnet such as 10.0.0.0/24 or \"fd00::/64\"", "subnet %q is not a prefix", t.s)
			continue
		}
		if p != p.Masked() {
			b.errorf(t.at, sprintf("write %s", p.Masked()), "subnet %s has host bits set", p)
			continue
		}
		if p.Bits() == 0 {
			b.errorf(t.at, "write a subnet such as 10.0.0.0/24 or \"fd00::/64\"", "subnet %s covers every address", p)
			continue
		}
		if _, _, dup := u.subnetFor(p.Addr().Is4()); dup {
			b.errorf(t.at, "give one IPv4 and at most one IPv6 subnet per link or LAN", "a second %s subnet %s for the same LAN", family(p.Addr().Is4()), p)
			continue
		}
		u.subnets = append(u.subnets, p)
		u.subAt = append(u.subAt, t.at)
	}
}

func (u *unit) subnetFor(v4 bool) (netip.Prefix, Pos, bool) {
	for i, p := range u.subnets {
		if p.Addr().Is4() == v4 {
			return p, u.subAt[i], true
		}
	}
	return netip.Prefix{}, Pos{}, false
}

// needs reports whether an end of the unit has no address of family v4.
func (u *unit) needs(v4 bool) bool {
	for _, e := range u.ends {
		if !hasFamily(e.Addresses, v4) && !e.DynamicFor(v4) {
			return true
		}
	}
	return false
}

// explicitSubnet returns the subnet of the first address of family v4
// written in the file for one of the unit's ends.
func (u *unit) explicitSubnet(v4 bool) (netip.Prefix, bool) {
	for i, e := range u.ends {
		if !u.explicit[i] {
			continue
		}
		for _, p := range e.Addresses {
			if p.Addr().Is4() == v4 {
				return p.Masked(), true
			}
		}
	}
	return netip.Prefix{}, false
}

// switchComponents maps every switch to a representative of the group
// of switches it is joined to by links.
func (b *builder) switchComponents() map[string]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, n := range b.lab.Nodes {
		if n.Kind == KindSwitch {
			parent[n.Name] = n.Name
		}
	}
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		a, c := li.link.Ends[0].Node, li.link.Ends[1].Node
		if _, ok := parent[a]; !ok {
			continue
		}
		if _, ok := parent[c]; !ok {
			continue
		}
		parent[find(a)] = find(c)
	}
	out := map[string]string{}
	for s := range parent {
		out[s] = find(s)
	}
	return out
}

func hasFamily(ps []netip.Prefix, v4 bool) bool {
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			return true
		}
	}
	return false
}

func family(v4 bool) string {
	if v4 {
		return "IPv4"
	}
	return "IPv6"
}
