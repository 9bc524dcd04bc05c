package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// Down removes a lab: it kills every process still running in the
// lab's namespaces, deletes the namespaces topo made for it, and its
// state. A lab that is not up is not an error (down is idempotent).
// It returns whether there was a lab to remove.
//
// Needs root. Any goroutine. Namespaces not recorded as the lab's own
// are never touched.
func Down(ctx context.Context, name string, opts Options) (bool, error) {
	lock, err := LockLab(name, opts.Wait)
	if err != nil {
		return false, err
	}
	st, err := LoadState(name)
	if errors.Is(err, ErrNoState) {
		return false, lock.RemoveAndUnlock()
	}
	if err != nil {
		lock.Unlock()
		return false, err
	}
	nodes := make([]string, 0, len(st.Namespaces))
	for n := range st.Namespaces {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	// One scan of /proc kills the processes of every namespace at once.
	inodes := map[uint64]bool{}
	for _, n := range nodes {
		if cur, err := node.Inode(topology.Namespace(name, n)); err == nil && (st.Namespaces[n] == 0 || st.Namespaces[n] == cur) {
			inodes[cur] = true
		}
	}
	if _, err := node.KillProcesses(inodes); err != nil {
		lock.Unlock()
		return true, fmt.Errorf("lab %s: %w", name, err)
	}
	var mu sync.Mutex
	done := 0
	err = parallel(ctx, len(nodes), func(i int) error {
		if err := removeNode(name, nodes[i], st.Namespaces[nodes[i]]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("node %s: %w", nodes[i], err)
		}
		mu.Lock()
		done++
		mu.Unlock()
		if opts.Progress != nil {
			opts.Progress(done, len(nodes))
		}
		return nil
	})
	if err != nil {
		lock.Unlock()
		return true, fmt.Errorf("lab %s: %w (run `topo down %s` again)", name, err, name)
	}
	return true, lock.RemoveAndUnlock()
}
