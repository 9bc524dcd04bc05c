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
		ep   string
		line int
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
		for i, e := range li.link.Ends {
			for _, p := range e.Addresses {
				if o, dup := seen[p.Addr()]; dup {
					b.errorf(li.lines[i], sprintf("every address must be unique in the lab (first given to %s on line %d)", o.ep, o.line), "address %s is used twice: %s and %s", p.Addr(), o.ep, e)
					continue
				}
				seen[p.Addr()] = owner{e.String(), li.lines[i]}
				for _, other := range nets[e.Node] {
					if other.iface != e.Interface && overlaps(other.p, p) {
						b.errorf(li.lines[i], "give each interface of a host its own subnet", "%s: subnet %s of %s overlaps %s of %s:%s", e.Node, p.Masked(), e, other.p, e.Node, other.iface)
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
	loopAt := map[string]int{} // component root -> line of a link closing a loop
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
		ra, rc := find(a), find(c)
		if ra == rc {
			if _, seen := loopAt[ra]; !seen {
				loopAt[ra] = li.raw.line
			}
			continue
		}
		parent[ra] = rc
		if l, ok := loopAt[ra]; ok {
			loopAt[rc] = l
		}
	}
	for _, n := range b.lab.Nodes {
		if n.Kind == KindSwitch && ports[n.Name] > MaxBridgePorts {
			b.errorf(n.Pos.Line, "split the hosts over several switches joined by links", "switch %s has %d ports; a Linux bridge takes at most %d", n.Name, ports[n.Name], MaxBridgePorts)
		}
	}
	for root, line := range loopAt {
		var members, noSTP []string
		for _, n := range b.lab.Nodes {
			if n.Kind == KindSwitch && parent[n.Name] != "" && find(n.Name) == find(root) {
				members = append(members, n.Name)
				if !n.STP {
					noSTP = append(noSTP, n.Name)
				}
			}
		}
		if len(noSTP) > 0 {
			b.warnf(line, "set stp: true on "+strings.Join(noSTP, ", "), "switches %s form a loop without spanning tree: broadcasts will circle forever", strings.Join(members, ", "))
		}
	}
}

// buildExpectations checks the expect: entries.
func (b *builder) buildExpectations() {
	for _, re := range b.raw.expect {
		if re.from == "" || re.to == "" {
			continue
		}
		ok := true
		if n, known := b.nodes[re.from]; !known || n.Kind != KindHost {
			b.errorf(re.line, b.nodeHint(re.from), "expectation from %q: no such host", re.from)
			ok = false
		}
		if _, err := netip.ParseAddr(re.to); err != nil {
			if n, known := b.nodes[re.to]; !known || n.Kind != KindHost {
				b.errorf(re.line, b.nodeHint(re.to), "expectation to %q: neither a host nor an IP address", re.to)
				ok = false
			}
		}
		if re.ttl != 0 && !re.reach {
			b.errorf(re.line, "drop ttl or reach: false", "an expectation with reach: false cannot check a ttl")
			ok = false
		}
		if ok {
			b.lab.Expect = append(b.lab.Expect, &Expectation{From: re.from, To: re.to, Reach: re.reach, TTL: re.ttl, Pos: Pos{File: b.file, Line: re.line}})
		}
	}
}

func (b *builder) nodeHint(name string) string {
	if h := didYouMean(name, b.nodeNames()); h != "" {
		return h
	}
	return "name a host declared under hosts:"
}
