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
// It changes nothing: a namespace found for a node only claimed (being
// made, see ownership) is owned, and returned among the adoptions, node
// -> inode, for the caller to adopt or not.
func observe(ctx context.Context, desired, applied *topology.Lab, own *ownership, hs *handles) (obs *topology.Observed, adopted map[string]uint64, err error) {
	names := nodeUnion(desired, applied)
	want, had := desired.NodesByName(), applied.NodesByName()
	obs = &topology.Observed{Nodes: map[string]*topology.ObservedNode{}}
	adopted = map[string]uint64{}
	var mu sync.Mutex
	err = parallel(ctx, len(names), func(i int) error {
		name := names[i]
		nsName := topology.Namespace(desired.Name, name)
		inode, err := node.Inode(nsName)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		rec, known := own.inode(name)
		if errors.Is(err, node.ErrNotMounted) && known {
			// An interrupted create left the file without a namespace:
			// the node is missing (createNode clears the file).
			return nil
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		if err := own.verify(name, inode); err != nil {
			return err
		}
		if rec == 0 {
			mu.Lock()
			adopted[name] = inode
			mu.Unlock()
		}
		ns, release, err := hs.use(name)
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		defer release()
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
	return obs, adopted, err
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
