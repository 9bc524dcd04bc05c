package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// toRoute converts r to a netlink route in the main table with its
// protocol (static, topo's own, when r names none), its type and its
// next hop, enough to add or delete it.
func toRoute(r topology.Route) *netlink.Route {
	family := unix.AF_INET
	if r.To.Addr().Is6() {
		family = unix.AF_INET6
	}
	nr := &netlink.Route{
		Family:   family,
		Dst:      prefixToIPNet(r.To.Masked()),
		Table:    unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_STATIC,
	}
	if r.Via.IsValid() {
		nr.Gw = net.IP(r.Via.Unmap().AsSlice())
	}
	if r.Proto != 0 {
		nr.Protocol = netlink.RouteProtocol(r.Proto)
	}
	for t, name := range routeTypes {
		if name == r.Type && r.Type != "" {
			nr.Type = t
		}
	}
	return nr
}

// AddRoute adds r to the main table of ns with protocol static. The
// same route already present is success; a different route to the same
// destination (another gateway, or a route topo did not make) is an
// error wrapping EEXIST. Callable from any goroutine.
func AddRoute(ns *node.Namespace, r topology.Route) error {
	err := ns.NL.RouteAdd(toRoute(r))
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EEXIST) {
		routes, lerr := managedRoutes(ns, nil)
		if lerr != nil {
			return fmt.Errorf("%s: add route %s: %w", ns.Name, r, lerr)
		}
		for _, have := range routes {
			if have.To == r.To.Masked() && have.Via == r.Via {
				return nil
			}
		}
		return fmt.Errorf("%s: add route %s: another route to %s exists: %w", ns.Name, r, r.To, err)
	}
	return fmt.Errorf("%s: add route %s: %w", ns.Name, r, err)
}

// DelRoute deletes r from the main table of ns, whatever protocol made
// it (topo's own static route, or one made by hand, with its type). An
// absent route is success. Callable from any goroutine.
func DelRoute(ns *node.Namespace, r topology.Route) error {
	nr := toRoute(r)
	// Any protocol: the kernel matches on destination, next hop and
	// type, so a route whose protocol was not told apart (0, "unspec")
	// goes too.
	nr.Protocol = 0
	err := ns.NL.RouteDel(nr)
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: delete route %s: %w", ns.Name, r, err)
	}
	return nil
}

// Routing protocols whose routes are not topo's to manage: the
// kernel's own (connected routes, redirects, router advertisements,
// DHCP clients) and routing daemons'. Every other route of the main
// table (topo's static ones, and `ip route add`'s "boot") is compared
// with the file.
var unmanagedProtos = map[int]bool{
	unix.RTPROT_REDIRECT: true, unix.RTPROT_KERNEL: true, unix.RTPROT_RA: true,
	unix.RTPROT_DHCP: true, unix.RTPROT_MROUTED: true, unix.RTPROT_KEEPALIVED: true,
	unix.RTPROT_GATED: true, unix.RTPROT_MRT: true, unix.RTPROT_ZEBRA: true,
	unix.RTPROT_BIRD: true, unix.RTPROT_DNROUTED: true, unix.RTPROT_XORP: true,
	unix.RTPROT_NTK: true, unix.RTPROT_BABEL: true, unix.RTPROT_OPENR: true,
	unix.RTPROT_BGP: true, unix.RTPROT_ISIS: true, unix.RTPROT_OSPF: true,
	unix.RTPROT_RIP: true, unix.RTPROT_EIGRP: true,
}

// routeTypes names the route types other than unicast that a main
// table may hold.
var routeTypes = map[int]string{
	unix.RTN_BLACKHOLE: "blackhole", unix.RTN_UNREACHABLE: "unreachable",
	unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw",
}

// managedRoutes lists the routes of the main table of ns, both
// families, that topo manages (see unmanagedProtos) as topology routes:
// topo's own with only To and Via, others also with their protocol,
// type and device (names maps interface indexes to names; nil leaves
// Dev empty). IPv6 multicast and link-local routes are the kernel's.
func managedRoutes(ns *node.Namespace, names map[int]string) ([]topology.Route, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
	rs, err := node.RetryDump(func() ([]netlink.Route, error) {
		return ns.NL.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list routes: %w", ns.Name, err)
	}
	var out []topology.Route
	for _, r := range rs {
		if unmanagedProtos[int(r.Protocol)] {
			continue
		}
		var to netip.Prefix
		if r.Dst == nil || r.Dst.IP == nil {
			if r.Family == unix.AF_INET6 {
				to = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			} else {
				to = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			}
		} else {
			a, ok := netip.AddrFromSlice(r.Dst.IP)
			if !ok {
				continue
			}
			bits, _ := r.Dst.Mask.Size()
			to = netip.PrefixFrom(a.Unmap(), bits)
		}
		if to.Addr().IsMulticast() || to.Addr().IsLinkLocalUnicast() {
			continue
		}
		via, _ := netip.AddrFromSlice(r.Gw)
		rt := topology.Route{To: to, Via: via.Unmap()}
		if r.Protocol != unix.RTPROT_STATIC {
			rt.Proto = int(r.Protocol)
		}
		if r.Type != unix.RTN_UNICAST && r.Type != 0 {
			rt.Type = routeTypes[r.Type]
			if rt.Type == "" {
				continue // local, broadcast, ...: not in main normally
			}
		}
		if len(r.MultiPath) > 0 {
			rt.Type = "multipath"
		}
		if !rt.Via.IsValid() && rt.Type == "" && names != nil {
			rt.Dev = names[r.LinkIndex]
		}
		if rt.Proto == 0 && rt.Type == "" && !rt.Via.IsValid() {
			rt.Proto = unix.RTPROT_STATIC // a static route to a device: not one of topo's
		}
		out = append(out, rt)
	}
	return out, nil
}
