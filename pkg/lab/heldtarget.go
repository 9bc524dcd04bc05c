package lab

import (
	"fmt"
	"net/netip"

	"github.com/topo-lab/topo/pkg/topology"
)

// An expectation's to: may name a host whose addresses come from its
// own client (addresses: dhcp, dhcp6, slaac) and none from the file:
// check then probes the address the host holds when it runs.

// clientAddressed reports whether a node's name stands for no address
// of the file but for what its clients hold.
func clientAddressed(l *topology.Lab, name string) bool {
	if _, ok := l.FirstAddress(name); ok {
		return false
	}
	return len(dynamicEnds(l, name)) > 0
}

// dynamicEnds lists a node's ends addressed by its client, in link
// order.
func dynamicEnds(l *topology.Lab, name string) []topology.Endpoint {
	var out []topology.Endpoint
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if e.Node == name && len(e.Dynamic) > 0 {
				out = append(out, e)
			}
		}
	}
	return out
}

// heldTarget is the address a client-addressed host stands for: its
// first IPv4 address on an end with dhcp, else its first IPv6 address
// on an end with dhcp6 or slaac, as in the lab's hosts file (IPv4
// first). held maps each of the node's interfaces to the global
// addresses it holds. When it holds none, the error says which end
// and where to look.
func heldTarget(l *topology.Lab, name string, held map[string][]netip.Addr) (netip.Addr, error) {
	ends := dynamicEnds(l, name)
	for _, v4 := range []bool{true, false} {
		for _, e := range ends {
			if !e.DynamicFor(v4) {
				continue
			}
			for _, a := range held[e.Interface] {
				if a.Is4() == v4 {
					return a, nil
				}
			}
		}
	}
	if len(ends) == 0 {
		return netip.Addr{}, fmt.Errorf("node %s has no address", name)
	}
	e := ends[0]
	switch d := e.Dynamic[0]; d {
	case topology.DynSLAAC:
		return netip.Addr{}, fmt.Errorf("%s holds no address from a router advertisement yet: is a router on the link advertising a prefix? (topo capture %s icmp6 shows the advertisements)", e, e)
	default:
		server := "DHCP"
		if d == topology.DynDHCP6 {
			server = "DHCPv6"
		}
		return netip.Addr{}, fmt.Errorf("%s holds no leased address yet: is the %s server running? see topo logs %s/%s-%s", e, server, e.Node, d, e.Interface)
	}
}
