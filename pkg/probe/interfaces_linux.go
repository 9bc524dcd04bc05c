package probe

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
)

// Interfaces is one reading of a namespace's links and addresses.
type Interfaces struct {
	Links []netlink.Link
	Addrs []netlink.Addr
}

// ReadInterfaces dumps the links and addresses of ns (two requests on
// its socket; no thread switch). Any goroutine.
func ReadInterfaces(ns *node.Namespace) (*Interfaces, error) {
	links, err := ns.NL.LinkList()
	if err != nil {
		return nil, fmt.Errorf("%s: list links: %w", ns.Name, err)
	}
	addrs, err := ns.NL.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("%s: list addresses: %w", ns.Name, err)
	}
	return &Interfaces{Links: links, Addrs: addrs}, nil
}
