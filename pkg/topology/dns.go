package topology

import (
	"net/netip"
	"strings"
)

// buildDNS gives every host without a resolv.conf of its own (files:,
// or its DHCP client's) one naming the lab's dns: servers, each an
// address or a host (its first address); after addressing.
func (b *builder) buildDNS() {
	if b.raw.dns == nil {
		return
	}
	var lines []string
	for _, t := range b.raw.dns {
		if a, err := netip.ParseAddr(t.s); err == nil {
			lines = append(lines, "nameserver "+a.String())
			continue
		}
		n, known := b.nodes[t.s]
		if !known || n.Kind != KindHost {
			b.errorf(t.at, b.nodeHint(t.s), "dns %q: neither an IP address nor a host", t.s)
			continue
		}
		a, has := b.lab.FirstAddress(t.s)
		if !has {
			b.errorf(t.at, "give "+t.s+" an address, or write the server's address", "dns %q: that host has no address", t.s)
			continue
		}
		lines = append(lines, "nameserver "+a.String())
	}
	if len(lines) == 0 {
		return
	}
	conf := "# written by topo from the lab's dns:\n" + strings.Join(lines, "\n") + "\n"
	for _, n := range b.lab.Nodes {
		if n.Kind != KindHost || b.dynamicNode(n.Name) {
			continue
		}
		if _, own := n.Files[ResolvConf]; own {
			continue
		}
		if n.Files == nil {
			n.Files = map[string]string{}
		}
		n.Files[ResolvConf] = conf
	}
}
