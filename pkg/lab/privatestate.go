package lab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// privateOverState refuses private paths that overlap topo's state
// directory root (TOPO_STATE_DIR, which validation cannot know: it
// checks the default, topology.StateRoot): binding a node's own view
// over it would hide the lab's state from the node's processes, or put
// the state inside a node's private tree. Every such path is named,
// with its node's place in the file. Pure.
func privateOverState(l *topology.Lab, root string) error {
	root = strings.TrimSuffix(root, "/")
	var errs []error
	for _, n := range l.Nodes {
		for _, p := range n.Private {
			if p == root || strings.HasPrefix(p, root+"/") || strings.HasPrefix(root, p+"/") {
				where := ""
				if s := n.Pos.String(); s != "" {
					where = s + ": "
				}
				errs = append(errs, fmt.Errorf("%snode %s: private path %s overlaps topo's state directory %s (TOPO_STATE_DIR): make another path private, or keep TOPO_STATE_DIR out of the nodes' private paths",
					where, n.Name, p, root))
			}
		}
	}
	return errors.Join(errs...)
}
