package explain

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The sysctls a walk reads.
const (
	keyForward4    = "net.ipv4.ip_forward"
	keyForward6    = "net.ipv6.conf.all.forwarding"
	keyEchoIgnore4 = "net.ipv4.icmp_echo_ignore_all"
	keyEchoIgnore6 = "net.ipv6.icmp.echo_ignore_all"
)

// Read takes the snapshot of the node name from its namespace ns:
// links, addresses, the routes of every table, neighbour entries,
// routing rules, the forwarding and echo sysctls, and its nftables
// chains that may drop (left empty when they cannot be read). A switch
// node's bridge is node.BridgeName. Netlink dumps on ns's handles,
// sysctls through node.ReadPresentSysctls. Any goroutine.
func Read(ns *node.Namespace, name string, isSwitch bool) (*Node, error) {
	n := &Node{Name: name, Switch: isSwitch, Ifaces: map[string]*Iface{}}
	if isSwitch {
		n.Bridge = node.BridgeName
	}
	links, err := node.RetryDump(ns.NL.LinkList)
	if err != nil {
		return nil, fmt.Errorf("%s: list links: %w", ns.Name, err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range links {
		a := l.Attrs()
		ifc := &Iface{Name: a.Name, Up: a.Flags&net.FlagUp != 0, Carrier: a.RawFlags&unix.IFF_LOWER_UP != 0, Master: names[a.MasterIndex]}
		if len(a.HardwareAddr) > 0 && a.HardwareAddr.String() != "00:00:00:00:00:00" {
			ifc.MAC = a.HardwareAddr.String()
		}
		n.Ifaces[a.Name] = ifc
	}
	addrs, err := node.RetryDump(func() ([]netlink.Addr, error) { return ns.NL.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("%s: list addresses: %w", ns.Name, err)
	}
	for _, a := range addrs {
		ifc := n.Ifaces[names[a.LinkIndex]]
		if p, ok := prefixOf(a.IPNet); ok && ifc != nil {
			ifc.Addrs = append(ifc.Addrs, p)
		}
	}
	routes, err := node.RetryDump(func() ([]netlink.Route, error) {
		return ns.NL.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list routes: %w", ns.Name, err)
	}
	for _, r := range routes {
		if rt, ok := routeOf(r, names); ok {
			n.Routes = append(n.Routes, rt)
		}
	}
	neighs, err := node.RetryDump(func() ([]netlink.Neigh, error) { return ns.NL.NeighList(0, unix.AF_UNSPEC) })
	if err != nil {
		return nil, fmt.Errorf("%s: list neighbours: %w", ns.Name, err)
	}
	for _, nb := range neighs {
		a, ok := netip.AddrFromSlice(nb.IP)
		if !ok {
			continue
		}
		entry := Neighbor{Addr: a.Unmap(), Dev: names[nb.LinkIndex], State: node.NeighState(nb.State)}
		if len(nb.HardwareAddr) > 0 {
			entry.MAC = nb.HardwareAddr.String()
		}
		n.Neighbors = append(n.Neighbors, entry)
	}
	rules, err := node.RetryDump(func() ([]netlink.Rule, error) { return ns.NL.RuleList(netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("%s: list rules: %w", ns.Name, err)
	}
	for _, r := range rules {
		if (r.Family == unix.AF_INET || r.Family == unix.AF_INET6) && r.Priority != 0 && r.Priority != 32766 && r.Priority != 32767 {
			n.Policy = true
		}
	}
	sys, err := node.ReadPresentSysctls(ns, []string{keyForward4, keyForward6, keyEchoIgnore4, keyEchoIgnore6})
	if err != nil {
		return nil, err
	}
	n.Forward4, n.Forward6 = sys[keyForward4] == "1", sys[keyForward6] == "1"
	n.EchoIgnore4, n.EchoIgnore6 = sys[keyEchoIgnore4] == "1", sys[keyEchoIgnore6] == "1"
	n.Firewall, _ = readChains(ns)
	return n, nil
}

func prefixOf(ipn *net.IPNet) (netip.Prefix, bool) {
	if ipn == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones, _ := ipn.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

// routeOf converts a netlink route; a multipath route is taken by its
// first next hop.
func routeOf(r netlink.Route, names map[int]string) (Route, bool) {
	out := Route{Type: routeType(r.Type), Metric: r.Priority, Table: r.Table, Dev: names[r.LinkIndex]}
	if r.Dst != nil {
		p, ok := prefixOf(r.Dst)
		if !ok {
			return out, false
		}
		out.Dst = p.Masked()
	} else if r.Family == unix.AF_INET6 {
		out.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	} else {
		out.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	gw, dev := r.Gw, r.LinkIndex
	if len(r.MultiPath) > 0 {
		gw, dev = r.MultiPath[0].Gw, r.MultiPath[0].LinkIndex
		out.Dev = names[dev]
	}
	if a, ok := netip.AddrFromSlice(gw); ok && len(gw) > 0 {
		out.Gw = a.Unmap()
	}
	if a, ok := netip.AddrFromSlice(r.Src); ok && len(r.Src) > 0 {
		out.Src = a.Unmap()
	}
	return out, true
}

func routeType(t int) string {
	switch t {
	case unix.RTN_LOCAL:
		return "local"
	case unix.RTN_BROADCAST:
		return "broadcast"
	case unix.RTN_ANYCAST:
		return "anycast"
	case unix.RTN_MULTICAST:
		return "multicast"
	case unix.RTN_BLACKHOLE:
		return "blackhole"
	case unix.RTN_UNREACHABLE:
		return "unreachable"
	case unix.RTN_PROHIBIT:
		return "prohibit"
	case unix.RTN_THROW:
		return "throw"
	}
	return "unicast"
}
