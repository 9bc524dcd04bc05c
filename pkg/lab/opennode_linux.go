package lab

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// OpenNode opens the network namespace of a node of a lab that is up,
// if the lab owns it: the node is the lab's in its state, and the
// namespace found has the inode recorded in the state or, newer, in the
// journal (or the node is only claimed: topo is making it). The namespace is checked
// before it is entered and again once it is open, so one swapped in
// between is refused. Errors wrap ErrNoState when the lab is not up,
// ErrNotOwned for a namespace topo did not make, and fs.ErrNotExist
// when the node has none. It takes no lock: it only reads. Any
// goroutine; the caller must Close the namespace.
func OpenNode(labName, nodeName string) (*node.Namespace, error) {
	st, err := LoadState(labName)
	if err != nil {
		return nil, err
	}
	journal, err := recordedNamespaces(labName)
	if err != nil {
		return nil, err
	}
	nsName := topology.Namespace(labName, nodeName)
	rec, known := st.Namespaces[nodeName]
	if !known {
		return nil, fmt.Errorf("node %s of lab %s: %w: %s is not recorded as the lab's", nodeName, labName, ErrNotOwned, nsName)
	}
	found, err := node.Inode(nsName)
	if err != nil {
		return nil, fmt.Errorf("node %s of lab %s: %w (run `topo up` to repair the lab)", nodeName, labName, err)
	}
	// The journal is written the moment a namespace is made, the state
	// at the end of a phase: a node re-created by an `up` still running
	// is known to the journal first.
	if !ownsInode(rec, found) && journal[nodeName] != found {
		return nil, notOwned(labName, nodeName, nsName)
	}
	ns, err := node.Open(nsName)
	if err != nil {
		return nil, fmt.Errorf("node %s of lab %s: %w (run `topo up` to repair the lab)", nodeName, labName, err)
	}
	if ns.Inode != found {
		ns.Close()
		return nil, notOwned(labName, nodeName, nsName)
	}
	return ns, nil
}

func notOwned(labName, nodeName, nsName string) error {
	return fmt.Errorf("node %s of lab %s: %w: %s (topo only looks inside namespaces it made)", nodeName, labName, ErrNotOwned, nsName)
}
