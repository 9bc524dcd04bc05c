package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// toAddr converts p to a netlink address; IPv6 ones skip duplicate
// address detection so they are usable at once.
func toAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: prefixToIPNet(p)}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	addr := p.Addr().Unmap()
	return &net.IPNet{IP: net.IP(addr.AsSlice()), Mask: net.CIDRMask(p.Bits(), addr.BitLen())}
}

// AddAddr adds address p (with its prefix length) to iface in ns. An
// address already present is success. Callable from any goroutine.
func AddAddr(ns *node.Namespace, iface string, p netip.Prefix) error {
	l, err := byName(ns, iface)
	if err != nil {
		return err
	}
	if err := ns.NL.AddrAdd(l, toAddr(p)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s:%s: add address %s: %w", ns.Name, iface, p, err)
	}
	return nil
}

// AddAddrAt adds address p to the interface with index idx in ns (iface
// names it in messages): one request, no lookup. An address already
// present is success. Callable from any goroutine.
func AddAddrAt(ns *node.Namespace, iface string, idx int, p netip.Prefix) error {
	l := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx, Name: iface}}
	if err := ns.NL.AddrAdd(l, toAddr(p)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s:%s: add address %s: %w", ns.Name, iface, p, err)
	}
	return nil
}

// DelAddr removes address p from iface in ns. An absent address or
// interface is success. Callable from any goroutine.
func DelAddr(ns *node.Namespace, iface string, p netip.Prefix) error {
	l, err := ns.NL.LinkByName(iface)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s:%s: %w", ns.Name, iface, err)
	}
	if err := ns.NL.AddrDel(l, toAddr(p)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("%s:%s: delete address %s: %w", ns.Name, iface, p, err)
	}
	return nil
}
