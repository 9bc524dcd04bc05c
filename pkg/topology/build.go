package topology

import (
	"net"
	"net/netip"
	"sort"
	"strings"
)

// builder validates a rawFile and resolves it into a Lab: names
// interfaces, picks addresses, applies defaults. Every problem is
// reported; building goes on after a problem so that one run shows
// them all.
type builder struct {
	*report
	raw   *rawFile
	lab   *Lab
	nodes map[string]*Node
	links []*linkInfo
	// prefixes caches each node's interface addresses; see hostPrefixes.
	prefixes map[string][]netip.Prefix
}

// linkInfo keeps what resolution needs about a link beyond the model.
type linkInfo struct {
	raw  *rawLink
	link *Link
	// ok is false when the link's endpoints are broken; later passes
	// skip it to avoid follow-up noise.
	ok bool
	// explicit[i] tells whether end i had addresses written in the file.
	explicit [2]bool
	// addrAt[i] holds where end i's written addresses are, index for
	// index with its Addresses (chosen ones come after and have none).
	addrAt [2][]Pos
}

// end is how end i of the link is written; only for links whose
// endpoints are sound (ok), which have exactly two.
func (li *linkInfo) end(i int) *rawEndpoint { return li.raw.endpoints[i] }

// addrPos is where the k-th address of end i is written, or where the
// end is when topo chose the address.
func (li *linkInfo) addrPos(i, k int) Pos {
	if k < len(li.addrAt[i]) {
		return li.addrAt[i][k]
	}
	return li.end(i).at
}

func (b *builder) build(file string) *Lab {
	b.lab = &Lab{File: file}
	b.nodes = map[string]*Node{}
	b.labName(file)
	b.buildNodes()
	b.buildServices()
	b.buildLinks()
	b.buildRouting()
	b.nameInterfaces()
	b.buildSites()
	b.assignAddresses()
	b.checkAddresses()
	b.checkDynamic()
	b.buildDNS()
	b.buildRoutes()
	b.lint()
	b.checkSwitches()
	b.buildExpectations()
	return b.lab
}

func (b *builder) labName(file string) {
	name := b.raw.name.s
	if name == "" {
		name = DefaultLabName(file)
		if !ValidLabName(name) {
			b.errorf(lineOnly(1), "add a line such as \"name: lab1\"", "the lab needs a name: %q does not make one (lower-case letters, digits and '-', at most %d)", name, maxLabName)
			return
		}
	} else if !ValidLabName(name) {
		hint := "rename it, e.g. name: lab1"
		if lower := strings.ToLower(name); lower != name && ValidLabName(lower) {
			hint = sprintf("did you mean %q?", lower)
		}
		b.errorf(b.raw.name.at, hint, "lab name %q is not valid: lab names are lower-case letters, digits and '-', starting with a letter or digit, at most %d characters", name, maxLabName)
		return
	}
	b.lab.Name = name
}

func (b *builder) buildNodes() {
	all := append(append([]*rawNode(nil), b.raw.hosts...), b.raw.switches...)
	if len(all) > MaxNodes {
		b.errorf(lineOnly(1), "split the lab", "%d nodes is more than topo accepts (%d)", len(all), MaxNodes)
		return
	}
	folded := map[string]*Node{}
	for _, rn := range all {
		if !nodeNameRE.MatchString(rn.name) || len(rn.name) > maxNodeName {
			b.errorf(rn.at, "node names are host names: letters, digits and '-', starting with a letter or digit", "%s name %q is not valid (at most %d characters)", rn.kind, rn.name, maxNodeName)
			continue
		}
		if prev, dup := b.nodes[rn.name]; dup {
			b.errorf(rn.at, sprintf("rename one of them (the other is on line %d)", prev.Pos.Line), "%q is both a host and a switch", rn.name)
			continue
		}
		if prev, dup := folded[strings.ToLower(rn.name)]; dup {
			b.errorf(rn.at, sprintf("rename one of them (the other is on line %d)", prev.Pos.Line),
				"%q and %q differ only in case: names resolve case-insensitively (as host names do), so `ping %s` from %s would reach %s itself", rn.name, prev.Name, prev.Name, rn.name, rn.name)
			continue
		}
		n := &Node{Name: rn.name, Kind: rn.kind, Forward: rn.forward, Exec: rn.exec, STP: rn.stp, Pos: rn.at}
		for _, s := range rn.sysctls {
			if err := CheckSysctlKey(s.key); err != "" {
				b.errorf(s.at, "only net.* sysctls belong to a namespace; others would change the whole machine", "host %s: sysctl %q %s", rn.name, s.key, err)
				continue
			}
			if n.Sysctls == nil {
				n.Sysctls = map[string]string{}
			}
			n.Sysctls[s.key] = s.value
		}
		b.nodes[rn.name] = n
		folded[strings.ToLower(rn.name)] = n
		b.lab.Nodes = append(b.lab.Nodes, n)
	}
}

// CheckSysctlKey returns "" when key is a per-namespace network sysctl
// topo may set, or what is wrong with it.
func CheckSysctlKey(key string) string {
	if !strings.HasPrefix(key, "net.") {
		return "is not a network sysctl (must start with net.)"
	}
	for _, part := range strings.Split(key, ".") {
		if part == "" || part == ".." {
			return "has an empty part"
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return "may hold only a-z, 0-9, '_', '-' and '.'"
			}
		}
	}
	return ""
}

func (b *builder) buildLinks() {
	if len(b.raw.links) > MaxLinks {
		b.errorf(lineOnly(1), "split the lab", "%d links is more than topo accepts (%d)", len(b.raw.links), MaxLinks)
		return
	}
	for _, rl := range b.raw.links {
		li := &linkInfo{raw: rl, link: &Link{MTU: 1500, Pos: rl.at}, ok: true}
		b.links = append(b.links, li)
		if rl.mtu != 0 {
			li.link.MTU = rl.mtu
		}
		switch rl.state.s {
		case "", "up":
		case "down":
			li.link.Down = true
		default:
			b.errorf(rl.state.at, "use up or down", "link state %q is not valid", rl.state.s)
		}
		if len(rl.endpoints) != 2 {
			at := rl.endpointsAt
			if at.Line == 0 {
				at = rl.at
			}
			b.errorf(at, "a link joins exactly two endpoints: endpoints: [h1:eth0, h2:eth0]", "link has %d endpoints", len(rl.endpoints))
			li.ok = false
			continue
		}
		for i, re := range rl.endpoints {
			if !b.buildEndpoint(li, i, re) {
				li.ok = false
			}
		}
		if !li.ok {
			continue
		}
		if li.link.Ends[0].Node == li.link.Ends[1].Node {
			b.errorf(rl.endpoints[1].node.at, "a veth pair joins two different nodes", "link from %s to itself", li.link.Ends[0].Node)
			li.ok = false
			continue
		}
		b.linkAddresses(li)
		b.buildImpairments(li)
	}
}

func (b *builder) buildEndpoint(li *linkInfo, i int, re *rawEndpoint) bool {
	if re.long && re.node.s == "" {
		return false // the decoder said "endpoint has no node"
	}
	n, known := b.nodes[re.node.s]
	if !known {
		hint := didYouMean(re.node.s, b.nodeNames())
		if hint == "" {
			hint = "declare it under hosts: or switches:"
		}
		b.errorf(re.node.at, hint, "link endpoint names unknown node %q", re.node.s)
		return false
	}
	e := &li.link.Ends[i]
	e.Node = re.node.s
	if n.Kind == KindSwitch {
		if re.iface.s != "" {
			b.errorf(re.iface.at, sprintf("write just %q: topo names switch ports itself", e.Node), "switch %s: an interface name (%q) on a switch end is not supported", e.Node, re.iface.s)
			return false
		}
		if len(re.addresses) > 0 || re.mac.s != "" {
			at := re.mac.at
			if len(re.addresses) > 0 {
				at = re.addresses[0].at
			}
			b.errorf(at, "put the address on the host end of the link", "switch %s: a switch end takes no address or MAC", e.Node)
			return false
		}
		return true
	}
	if re.iface.s != "" {
		if msg := checkIfaceName(re.iface.s); msg != "" {
			hint := "interface names are 1 to 15 bytes of letters, digits, '-', '_' or '.'"
			if reservedIface(re.iface.s) {
				hint = "choose another name: " + reservedIfaceText
			}
			b.errorf(re.iface.at, hint, "interface %q on %s %s", re.iface.s, e.Node, msg)
			return false
		}
		e.Interface = re.iface.s
	}
	if re.mac.s != "" {
		mac, err := net.ParseMAC(re.mac.s)
		switch {
		case err != nil || len(mac) != 6:
			b.errorf(re.mac.at, "write it as 02:00:00:00:00:01", "mac %q is not an Ethernet address", re.mac.s)
			return false
		case mac[0]&1 == 1:
			b.errorf(re.mac.at, "use an even first byte, e.g. 02:...", "mac %s is a multicast address", re.mac.s)
			return false
		case isZero(mac):
			b.errorf(re.mac.at, "choose a non-zero address such as 02:00:00:00:00:01", "mac %s is all zeros", re.mac.s)
			return false
		}
		e.MAC = MAC(mac)
	}
	if re.hasAddrs {
		li.explicit[i] = len(re.addresses) > 0
		e.Addresses, li.addrAt[i] = b.parseAddrs(re.addresses, e)
	}
	return true
}

// linkAddresses spreads a link-level `addresses:` list over its ends:
// one entry per endpoint, or, when one end is a switch, one entry for
// the host end.
func (b *builder) linkAddresses(li *linkInfo) {
	rl := li.raw
	if !rl.hasAddresses {
		return
	}
	var targets []int
	for i, e := range li.link.Ends {
		if b.nodes[e.Node].Kind == KindHost {
			targets = append(targets, i)
		}
	}
	entries := rl.addresses
	switch {
	case len(entries) == 2 && len(targets) < 2:
		for i, e := range li.link.Ends {
			if b.nodes[e.Node].Kind == KindSwitch && len(entries[i].addrs) > 0 {
				b.errorf(entries[i].at, "put the address on the host end of the link", "switch %s: a switch end takes no address", e.Node)
				return
			}
		}
		targets = []int{0, 1}
	case len(entries) != len(targets):
		b.errorf(rl.addrAt, "give one entry per endpoint, in order (an entry may be a list for IPv4 and IPv6)", "link has %d address entries for %d addressable endpoints", len(entries), len(targets))
		return
	}
	for k, i := range targets {
		if len(entries[k].addrs) == 0 {
			continue
		}
		if li.explicit[i] {
			b.errorf(entries[k].at, "give the addresses either on the link or on the endpoint", "%s has addresses both in the link's addresses and in its endpoint", li.link.Ends[i].Node)
			continue
		}
		li.explicit[i] = true
		li.link.Ends[i].Addresses, li.addrAt[i] = b.parseAddrs(entries[k].addrs, &li.link.Ends[i])
	}
}

// parseAddrs parses an end's written addresses; the positions of those
// it keeps come back alongside, index for index.
func (b *builder) parseAddrs(list []text, e *Endpoint) ([]netip.Prefix, []Pos) {
	var out []netip.Prefix
	var at []Pos
	for _, t := range list {
		s := t.s
		if isDynamicWord(s) {
			b.dynamic(t, e)
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			hint := "write an address with its prefix length, e.g. 10.0.0.1/24 or fd00::1/64"
			if _, aerr := netip.ParseAddr(s); aerr == nil {
				hint = sprintf("add the prefix length: %s/24 (IPv4) or %s/64 (IPv6)", s, s)
			}
			if why := prefixLenText(s); why != "" {
				b.errorf(t.at, prefixLenHint, "%s: %q: %s", e.Node, s, why)
				continue
			}
			b.errorf(t.at, hint, "%s: %q is not an address with a prefix length", e.Node, s)
			continue
		}
		if msg := checkHostAddr(p); msg != "" {
			b.errorf(t.at, "use a host address inside the subnet", "%s: address %s %s", e.Node, s, msg)
			continue
		}
		out = append(out, p)
		at = append(at, t.at)
	}
	return out, at
}

func (b *builder) nodeNames() []string {
	out := make([]string, 0, len(b.nodes))
	for name := range b.nodes {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// checkIfaceName says what keeps name from being an interface name of
// a node, or "".
func checkIfaceName(name string) string {
	if len(name) > 15 {
		return "is longer than 15 bytes"
	}
	if reservedIface(name) {
		return "is reserved by the kernel"
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "has a character interface names cannot hold"
		}
	}
	return ""
}

// checkHostAddr rejects addresses that cannot be given to an interface.
func checkHostAddr(p netip.Prefix) string {
	a := p.Addr()
	switch {
	case p.Bits() == 0:
		return "has prefix length 0 (its subnet would be the whole Internet)"
	case a.IsUnspecified():
		return "is unspecified"
	case a.IsMulticast():
		return "is multicast"
	case a.IsLoopback():
		return "is a loopback address"
	case a.Is4() && p.Bits() <= 30 && a == p.Masked().Addr():
		return sprintf("is the network address of %s", p.Masked())
	case a.Is4() && p.Bits() <= 30 && a == lastAddr(p):
		return sprintf("is the broadcast address of %s", p.Masked())
	}
	return ""
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
