package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// createTunnel makes the local end of a link to another site: a VXLAN
// interface born in the node's namespace (see link.CreateVXLAN), with
// the end's MTU, MAC, bridge port, state, addresses and impairment.
func (x *executor) createTunnel(l *topology.Link) error {
	e, t := l.Ends[0], l.Tunnel
	ns, release, err := x.hs.use(e.Node)
	if err != nil {
		return err
	}
	defer release()
	spec := link.VXLANSpec{
		NS: ns, Name: e.Interface,
		VNI: t.VNI, Local: t.Local, Remote: t.Remote, Port: t.Port,
		MTU: l.MTU, MAC: net.HardwareAddr(e.MAC),
		Master: x.masterOf(e), MasterIndex: x.bridgeIndex(e),
		Up: !l.Down,
	}
	err = link.CreateVXLAN(spec)
	if errors.Is(err, fs.ErrExist) {
		// Left by an interrupted run in our own namespace: replace.
		if err := link.Delete(ns, e.Interface); err != nil {
			return err
		}
		err = link.CreateVXLAN(spec)
	}
	if err != nil {
		return err
	}
	for _, p := range e.Addresses {
		if err := link.AddAddr(ns, e.Interface, p); err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
	}
	if !e.Impair.IsZero() {
		if err := link.SetImpair(ns, e.Interface, e.Impair); err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
	}
	return nil
}

// dropTunnels deletes the tunnels of a site's part of a lab from the
// namespaces about to be deleted. The kernel frees a deleted namespace
// in the background, after down returns; until it has, the namespace's
// VXLAN interfaces would keep their VNIs taken on this machine's port,
// and an up right after would be refused. A namespace that is not the
// lab's own is left alone.
func dropTunnels(l *topology.Lab, own *ownership) error {
	if l == nil {
		return nil
	}
	var errs []error
	for _, lk := range l.Links {
		if lk.Tunnel == nil {
			continue
		}
		e := lk.Ends[0]
		ns, err := node.Open(topology.Namespace(l.Name, e.Node))
		if err != nil {
			continue // gone already
		}
		if own.owns(e.Node, ns.Inode) {
			if err := link.Delete(ns, e.Interface); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("%s: %w", e, err))
			}
		}
		ns.Close()
	}
	return errors.Join(errs...)
}
