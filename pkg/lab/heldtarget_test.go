package lab

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestHeldTarget(t *testing.T) {
	l, _, err := topology.Parse("lab.yaml", []byte(`
hosts:
  srv: {}
  h1: {}
  h2: {}
  h3: {}
switches:
  lan: {}
links:
  - {endpoints: [srv:eth0, lan], addresses: [10.5.0.1/24]}
  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp, slaac]}, lan]
  - endpoints: [{node: h2, interface: eth0, addresses: dhcp6}, lan]
  - endpoints: [{node: h3, interface: eth0, addresses: slaac}, lan]
`))
	if err != nil {
		t.Fatal(err)
	}
	if clientAddressed(l, "srv") || !clientAddressed(l, "h1") {
		t.Errorf("clientAddressed: srv %v, h1 %v", clientAddressed(l, "srv"), clientAddressed(l, "h1"))
	}
	v4, v6 := netip.MustParseAddr("10.5.0.123"), netip.MustParseAddr("fd00:5::1")
	for _, c := range []struct {
		node string
		held map[string][]netip.Addr
		want string
	}{
		// IPv4 first, as in the hosts file.
		{"h1", map[string][]netip.Addr{"eth0": {v6, v4}}, "10.5.0.123"},
		{"h1", map[string][]netip.Addr{"eth0": {v6}}, "fd00:5::1"},
		// An address on another interface is not the lease.
		{"h1", map[string][]netip.Addr{"eth1": {v4}}, "h1:eth0 holds no leased address yet: is the DHCP server running? see topo logs h1/dhcp-eth0"},
		{"h2", map[string][]netip.Addr{"eth0": {v4}}, "h2:eth0 holds no leased address yet: is the DHCPv6 server running? see topo logs h2/dhcp6-eth0"},
		{"h3", nil, "h3:eth0 holds no address from a router advertisement yet"},
	} {
		a, err := heldTarget(l, c.node, c.held)
		got := a.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s holding %v: %q, want %q", c.node, c.held, got, c.want)
		}
	}
}
