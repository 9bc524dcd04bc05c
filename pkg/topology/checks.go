package topology

import (
	"net/netip"
	"strings"
)

// checkAddresses reports an address used twice in the lab and
// interfaces of one host whose subnets overlap, then moves the valid
// links into the lab.
func (b *builder) checkAddresses() {
	type owner struct {
		ep string
		at Pos
	}
	seen := map[netip.Addr]owner{}
	type hostNet struct {
		p     netip.Prefix
		iface string
	}
	nets := map[string][]hostNet{}
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		b.checkIPv6MTU(li)
		for i, e := range li.link.Ends {
			for k, p := range e.Addresses {
				at := li.addrPos(i, k)
				if o, dup := seen[p.Addr()]; dup {
					b.errorf(at, sprintf("every address must be unique in the lab (first given to %s on line %d)", o.ep, o.at.Line), "address %s is used twice: %s and %s", p.Addr(), o.ep, e)
					continue
				}
				seen[p.Addr()] = owner{e.String(), at}
				for _, other := range nets[e.Node] {
					if other.iface != e.Interface && overlaps(other.p, p) {
						b.errorf(at, "give each interface of a host its own subnet",
							"%s: subnet %s of %s overlaps %s of %s:%s: %s would send everything for that subnet, replies included, out of one of the two interfaces (the kernel's first route for it), so whatever is on the other never hears back",
							e.Node, p.Masked(), e, other.p, e.Node, other.iface, e.Node)
					}
				}
				nets[e.Node] = append(nets[e.Node], hostNet{p.Masked(), e.Interface})
			}
		}
		b.lab.Links = append(b.lab.Links, li.link)
	}
}

// checkSwitches refuses switches with more ports than a Linux bridge
// takes and warns about loops of switches without spanning tree.
func (b *builder) checkSwitches() {
	ports := map[string]int{}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	degree := map[string]int{} // switch -> live links to other switches
	adj := map[string][]int{}  // switch -> indices into trunks
	var trunks [][2]string     // switch-to-switch links
	var loops []*linkInfo      // links that close a loop, in file order
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		a, c := li.link.Ends[0].Node, li.link.Ends[1].Node
		for _, n := range []string{a, c} {
			if b.nodes[n].Kind == KindSwitch {
				ports[n]++
			}
		}
		if b.nodes[a].Kind != KindSwitch || b.nodes[c].Kind != KindSwitch {
			continue
		}
		degree[a]++
		degree[c]++
		adj[a] = append(adj[a], len(trunks))
		adj[c] = append(adj[c], len(trunks))
		trunks = append(trunks, [2]string{a, c})
		if ra, rc := find(a), find(c); ra != rc {
			parent[ra] = rc
		} else {
			loops = append(loops, li)
		}
	}
	for _, n := range b.lab.Nodes {
		if n.Kind == KindSwitch && ports[n.Name] > MaxBridgePorts {
			b.errorf(n.Pos, "split the hosts over several switches joined by links", "switch %s has %d ports; a Linux bridge takes at most %d", n.Name, ports[n.Name], MaxBridgePorts)
		}
	}
	if len(loops) == 0 {
		return
	}
	// The switches on loops are those left once the switches with a
	// single link to another switch are pruned, again and again.
	dead := make([]bool, len(trunks))
	var leaves []string
	for _, n := range b.lab.Nodes {
		if degree[n.Name] == 1 {
			leaves = append(leaves, n.Name)
		}
	}
	for len(leaves) > 0 {
		n := leaves[len(leaves)-1]
		leaves = leaves[:len(leaves)-1]
		for _, t := range adj[n] {
			if dead[t] {
				continue
			}
			dead[t] = true
			for _, m := range trunks[t] {
				if degree[m]--; degree[m] == 1 {
					leaves = append(leaves, m)
				}
			}
		}
	}
	// One warning per group of joined switches, at the first link that
	// closes a loop in it.
	members, noSTP := map[string][]string{}, map[string][]string{}
	for _, n := range b.lab.Nodes {
		if n.Kind == KindSwitch && degree[n.Name] > 1 {
			root := find(n.Name)
			members[root] = append(members[root], n.Name)
			if !n.STP {
				noSTP[root] = append(noSTP[root], n.Name)
			}
		}
	}
	for _, li := range loops {
		root := find(li.link.Ends[0].Node)
		if len(noSTP[root]) > 0 && b.crossesSites(members[root]) {
			b.errorf(li.raw.at, "set stp: true on "+strings.Join(noSTP[root], ", "), "switches %s form a loop across sites without spanning tree: broadcasts would circle forever through the tunnels", strings.Join(members[root], ", "))
			delete(noSTP, root)
		} else if len(noSTP[root]) > 0 {
			b.warnf(li.raw.at, "set stp: true on "+strings.Join(noSTP[root], ", "), "switches %s form a loop without spanning tree: broadcasts will circle forever", strings.Join(members[root], ", "))
			delete(noSTP, root)
		}
	}
}

// checkIPv6MTU refuses IPv6 addresses on a link whose MTU is below
// 1280: the kernel turns IPv6 off on such an interface and refuses
// them, with the lab partly built.
func (b *builder) checkIPv6MTU(li *linkInfo) {
	if li.raw.mtu == 0 || li.raw.mtu >= minIPv6MTU {
		return
	}
	for _, e := range li.link.Ends {
		for _, p := range e.Addresses {
			if p.Addr().Is6() {
				b.errorf(li.raw.mtuAt, "raise mtu to 1280 or more, or give this link IPv4 addresses only (an addressing: pool with ipv6 gives it one too)",
					"mtu %d is below 1280, the least IPv6 runs on, but %s has IPv6 address %s", li.raw.mtu, e, p)
				return
			}
		}
	}
}

func (b *builder) nodeHint(name string) string {
	if h := didYouMean(name, b.nodeNames()); h != "" {
		return h
	}
	return "name a host declared under hosts:"
}
