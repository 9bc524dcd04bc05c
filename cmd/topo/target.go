package main

import (
	"fmt"
	"net/netip"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// labNode opens the namespace of a node of a lab that is up, verified
// as the one topo made (lab.OpenNode).
func labNode(labName, nodeName string) (*topology.Lab, *node.Namespace, error) {
	return lab.OpenNode(labName, nodeName)
}

// resolveTarget turns a node name or an address into an address: a
// node's first address in the file, or for a node addressed by its own
// client (dhcp, dhcp6, slaac), the address it holds now.
func resolveTarget(l *topology.Lab, s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, nil
	}
	if l.Node(s) == nil && l.Elsewhere[s] == "" {
		return netip.Addr{}, fmt.Errorf("%q is neither an address nor a node of lab %s", s, l.Name)
	}
	if a, dynamic, err := lab.HeldAddress(l, s); dynamic {
		return a, err // what its DHCP/SLAAC client holds now
	}
	a, ok := l.FirstAddress(s)
	if !ok {
		return netip.Addr{}, fmt.Errorf("node %s has no address", s)
	}
	return a, nil
}

// neighbourTableNote returns a sentence to print after a ping or arp
// probe failed ARP/NDP when the kernel's neighbour table, shared by
// every namespace of the machine, is full: then "arp" says more about
// the machine than about the lab.
func neighbourTableNote() string {
	for _, f := range []struct {
		family int
		name   string
	}{{unix.AF_INET, "ipv4"}, {unix.AF_INET6, "ipv6"}} {
		if room, err := node.NeighbourRoom(f.family); err == nil && room <= 0 {
			return fmt.Sprintf("note: the kernel's %s neighbour table is full (it is shared by every namespace on this machine), so ARP/NDP answers cannot be stored: wait a few seconds, or raise net.%s.neigh.default.gc_thresh3", f.name, f.name)
		}
	}
	return ""
}
