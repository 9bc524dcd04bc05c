package link

import (
	"fmt"
	"net"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
)

// byName looks up iface in ns.
func byName(ns *node.Namespace, iface string) (netlink.Link, error) {
	l, err := ns.NL.LinkByName(iface)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", ns.Name, iface, err)
	}
	return l, nil
}

// SetMTU sets the MTU of iface in ns. Callable from any goroutine.
func SetMTU(ns *node.Namespace, iface string, mtu int) error {
	l, err := byName(ns, iface)
	if err != nil {
		return err
	}
	if err := ns.NL.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("%s:%s: set mtu %d: %w", ns.Name, iface, mtu, err)
	}
	return nil
}

// SetMAC sets the hardware address of iface in ns. Callable from any
// goroutine.
func SetMAC(ns *node.Namespace, iface string, mac net.HardwareAddr) error {
	l, err := byName(ns, iface)
	if err != nil {
		return err
	}
	if err := ns.NL.LinkSetHardwareAddr(l, mac); err != nil {
		return fmt.Errorf("%s:%s: set mac %s: %w", ns.Name, iface, mac, err)
	}
	return nil
}

// SetUp sets iface in ns administratively up or down. Callable from any
// goroutine.
func SetUp(ns *node.Namespace, iface string, up bool) error {
	l, err := byName(ns, iface)
	if err != nil {
		return err
	}
	if up {
		err = ns.NL.LinkSetUp(l)
	} else {
		err = ns.NL.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("%s:%s: set up=%v: %w", ns.Name, iface, up, err)
	}
	return nil
}
