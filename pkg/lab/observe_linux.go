package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// ErrNotOwned means a namespace with a lab node's name exists but topo
// did not make it; topo never adopts or deletes such a namespace.
var ErrNotOwned = errors.New("namespace exists but was not created by topo")

// observe reads from the kernel every node of desired and applied (in
// parallel) and checks that each existing namespace is the lab's own.
// A namespace recorded as being made (inode 0) is adopted.
func observe(ctx context.Context, st *State, desired *topology.Lab, hs *handles) (*topology.Observed, error) {
	names := nodeUnion(desired, st.Lab)
	want, had := desired.NodesByName(), st.Lab.NodesByName()
	obs := &topology.Observed{Nodes: map[string]*topology.ObservedNode{}}
	var mu sync.Mutex
	err := parallel(ctx, len(names), func(i int) error {
		name := names[i]
		nsName := topology.Namespace(desired.Name, name)
		inode, err := node.Inode(nsName)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if errors.Is(err, node.ErrNotMounted) && st.owns(name) {
			// An interrupted create left the file without a namespace:
			// the node is missing (createNode clears the file).
			return nil
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		mu.Lock()
		owned, known := st.Namespaces[name]
		if known && owned == 0 {
			st.Namespaces[name] = inode
			owned = inode
		}
		mu.Unlock()
		if !known || owned != inode {
			return fmt.Errorf("node %s: %w: %s (delete it with `ip netns del %s` if it is yours, or rename the lab)", name, ErrNotOwned, nsName, nsName)
		}
		ns, err := hs.get(name)
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		o, err := link.Observe(ns, topology.SysctlKeys(want[name], had[name]))
		if err != nil {
			return fmt.Errorf("observe node %s: %w", name, err)
		}
		o.Name = name
		mu.Lock()
		obs.Nodes[name] = o
		mu.Unlock()
		return nil
	})
	return obs, err
}

// nodeUnion lists the names of the nodes of a and b, a's first.
func nodeUnion(a, b *topology.Lab) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range []*topology.Lab{a, b} {
		if l == nil {
			continue
		}
		for _, n := range l.Nodes {
			if !seen[n.Name] {
				seen[n.Name] = true
				out = append(out, n.Name)
			}
		}
	}
	return out
}
