package lab

import (
	"fmt"
	"os"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// verify is the one check of ownership that every command reading,
// entering or changing a node goes through (status, plan, up and link
// in observe; every netlink handle, so impair, link, ping, arp, check
// and up's steps; exec and exec commands in startIn): the namespace
// found under node's name, with inode, must be the one topo made for
// the lab. When it is not, the error is the sentence status shows,
// wrapping ErrNotOwned, and nothing enters the namespace.
func (o *ownership) verify(nodeName string, inode uint64) error {
	if o.owns(nodeName, inode) {
		return nil
	}
	ns := topology.Namespace(o.lab, nodeName)
	return fmt.Errorf("node %s: %w: %s (delete it with `ip netns del %s` if it is yours, or rename the lab)", nodeName, ErrNotOwned, ns, ns)
}

// openNode opens node's namespace with netlink sockets in it, once
// verified (see verify) by the inode of the very namespace opened.
func (o *ownership) openNode(nodeName string) (*node.Namespace, error) {
	ns, err := node.Open(topology.Namespace(o.lab, nodeName))
	if err != nil {
		return nil, err
	}
	if err := o.verify(nodeName, ns.Inode); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// openNetns opens node's namespace as a file, to start a process in,
// once verified (see verify) by the inode of the very namespace opened.
func (o *ownership) openNetns(nodeName string) (*os.File, error) {
	f, inode, err := node.OpenNetns(topology.Namespace(o.lab, nodeName))
	if err != nil {
		return nil, fmt.Errorf("node %s of lab %s: %w (run `topo up` to repair the lab)", nodeName, o.lab, err)
	}
	if err := o.verify(nodeName, inode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// loadOwnership loads a lab's state, its namespace records filled in,
// and takes charge of its namespaces, for commands that use a lab that
// is up.
func loadOwnership(lab string) (*State, *ownership, error) {
	st, err := LoadState(lab)
	if err != nil {
		return nil, nil, err
	}
	if err := fillFromRecords(st); err != nil {
		return nil, nil, err
	}
	return st, ownershipOf(st), nil
}

// OpenNode opens a node of a lab that is up, for probing (topo ping,
// topo arp): it returns the lab as last applied and the node's
// namespace, once verified as the one topo made (see verify). The
// caller must Close the namespace.
func OpenNode(labName, nodeName string) (*topology.Lab, *node.Namespace, error) {
	st, own, err := loadOwnership(labName)
	if err != nil {
		return nil, nil, err
	}
	if st.Lab.Node(nodeName) == nil {
		return nil, nil, st.Lab.NoNode(nodeName, nodeList(st.Lab))
	}
	ns, err := own.openNode(nodeName)
	if err != nil {
		return nil, nil, err
	}
	return st.Lab, ns, nil
}
