package lab

import (
	"net/netip"

	"github.com/topo-lab/topo/pkg/topology"
)

// NodeOfAddress returns a function naming the node of l that owns an
// address ("" for none): who sent an ICMP error, in words. Pure.
func NodeOfAddress(l *topology.Lab) func(netip.Addr) string {
	owner := map[netip.Addr]string{}
	for node, prefixes := range l.AddressesByNode() {
		for _, p := range prefixes {
			owner[p.Addr()] = node
		}
	}
	return func(a netip.Addr) string { return owner[a.Unmap()] }
}
