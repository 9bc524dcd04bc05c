package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// LookupRoute asks the routing table of ns how it would reach dst, like
// `ip -n NS route get DST`. A destination with no route, or only an
// unreachable, prohibit or blackhole one, yields an *Error with
// ReasonNoRoute. It uses ns.NL and switches no thread; callable from any
// goroutine.
func LookupRoute(ns *node.Namespace, dst netip.Addr) (Route, error) {
	return lookupRoute(ns, dst, nil)
}

// lookupRoute is LookupRoute taking the output interface's name from
// names (index -> name) when it is there, else from the kernel.
func lookupRoute(ns *node.Namespace, dst netip.Addr, names map[int]string) (Route, error) {
	dst = dst.Unmap()
	fail := func(r Reason, err error) (Route, error) {
		return Route{}, &Error{Reason: r, Op: "route", Where: ns.Name, Addr: dst, Err: err}
	}
	routes, err := ns.NL.RouteGet(dst.AsSlice())
	if err != nil {
		for _, e := range []error{unix.ENETUNREACH, unix.EHOSTUNREACH, unix.EINVAL, unix.EACCES, unix.EPERM} {
			if errors.Is(err, e) {
				return fail(ReasonNoRoute, err)
			}
		}
		return fail(ReasonError, err)
	}
	if len(routes) == 0 {
		return fail(ReasonNoRoute, errors.New("no route"))
	}
	r := routes[0]
	out := Route{Dst: dst, Index: r.LinkIndex, Iface: names[r.LinkIndex]}
	if out.Iface == "" {
		link, err := ns.NL.LinkByIndex(r.LinkIndex)
		if err != nil {
			return fail(ReasonError, fmt.Errorf("output interface %d: %w", r.LinkIndex, err))
		}
		out.Iface = link.Attrs().Name
	}
	if out.Src, err = ipToAddr(r.Src); err != nil {
		return fail(ReasonNoRoute, fmt.Errorf("no source address on %s: %w", out.Iface, err))
	}
	if len(r.Gw) > 0 {
		if out.Gateway, err = ipToAddr(r.Gw); err != nil {
			return fail(ReasonError, fmt.Errorf("gateway: %w", err))
		}
	}
	return out, nil
}

// ipToAddr converts a net.IP, unmapping IPv4.
func ipToAddr(ip net.IP) (netip.Addr, error) {
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, fmt.Errorf("invalid address %q", ip)
	}
	return a, nil
}

// sourceFor picks the address of interface index in ns to send a
// neighbour request for target from: one whose prefix holds target,
// else the first of the family (link-local last for IPv6 unless target
// is link-local). IPv4 falls back to 0.0.0.0, an RFC 5227 ARP probe.
func sourceFor(ns *node.Namespace, index int, target netip.Addr) (netip.Addr, error) {
	link, err := ns.NL.LinkByIndex(index)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %d in %s: %w", index, ns.Name, err)
	}
	fam := unix.AF_INET6
	if target.Is4() {
		fam = unix.AF_INET
	}
	addrs, err := ns.NL.AddrList(link, fam)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s:%s: %w", ns.Name, link.Attrs().Name, err)
	}
	var first, ll netip.Addr
	for _, a := range addrs {
		ip, err := ipToAddr(a.IP)
		if err != nil {
			continue
		}
		ones, _ := a.Mask.Size()
		if p, err := ip.Prefix(ones); err == nil && p.Contains(target) {
			return ip, nil
		}
		switch {
		case ip.IsLinkLocalUnicast():
			if !ll.IsValid() {
				ll = ip
			}
		case !first.IsValid():
			first = ip
		}
	}
	switch {
	case target.IsLinkLocalUnicast() && ll.IsValid():
		return ll, nil
	case first.IsValid():
		return first, nil
	case ll.IsValid():
		return ll, nil
	case target.Is4():
		return netip.IPv4Unspecified(), nil
	}
	return netip.Addr{}, fmt.Errorf("no IPv6 address on %s:%s to solicit %s from", ns.Name, link.Attrs().Name, target)
}
