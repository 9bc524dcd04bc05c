package link

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
)

// SetMaster makes iface a port of the bridge named master, both in ns.
// Callable from any goroutine; no thread switches.
func SetMaster(ns *node.Namespace, iface, master string) error {
	l, err := ns.NL.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", ns.Name, iface, err)
	}
	br, err := ns.NL.LinkByName(master)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", ns.Name, master, err)
	}
	if err := ns.NL.LinkSetMasterByIndex(l, br.Attrs().Index); err != nil {
		return fmt.Errorf("%s:%s master %s: %w", ns.Name, iface, master, err)
	}
	return nil
}
