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

// toRoute converts r to a netlink route in the main table with
// protocol static, the only kind topo installs.
func toRoute(r topology.Route) *netlink.Route {
	family := unix.AF_INET
	if r.To.Addr().Is6() {
		family = unix.AF_INET6
	}
	return &netlink.Route{
		Family:   family,
		Dst:      prefixToIPNet(r.To.Masked()),
		Gw:       net.IP(r.Via.Unmap().AsSlice()),
		Table:    unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_STATIC,
	}
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
		routes, lerr := staticRoutes(ns)
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

// DelRoute deletes the static route r from the main table of ns. An
// absent route is success. Callable from any goroutine.
func DelRoute(ns *node.Namespace, r topology.Route) error {
	err := ns.NL.RouteDel(toRoute(r))
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: delete route %s: %w", ns.Name, r, err)
	}
	return nil
}

// staticRoutes lists the main-table, protocol-static routes of ns,
// both families, as topology routes. Multipath routes (which topo does
// not make) are left out.
func staticRoutes(ns *node.Namespace) ([]topology.Route, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_STATIC}
	rs, err := node.RetryDump(func() ([]netlink.Route, error) {
		return ns.NL.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list routes: %w", ns.Name, err)
	}
	var out []topology.Route
	for _, r := range rs {
		via, ok := netip.AddrFromSlice(r.Gw)
		if !ok {
			continue
		}
		via = via.Unmap()
		var to netip.Prefix
		if r.Dst == nil || r.Dst.IP == nil {
			if via.Is4() {
				to = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			} else {
				to = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
		} else {
			a, ok := netip.AddrFromSlice(r.Dst.IP)
			if !ok {
				continue
			}
			bits, _ := r.Dst.Mask.Size()
			to = netip.PrefixFrom(a.Unmap(), bits)
		}
		out = append(out, topology.Route{To: to, Via: via})
	}
	return out, nil
}
