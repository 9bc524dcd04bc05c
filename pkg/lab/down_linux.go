package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// Down removes a lab: it kills every process still running in the
// lab's namespaces, deletes the namespaces topo made for it, and its
// state. A lab that is not up is not an error (down is idempotent).
// It returns whether there was a lab to remove.
//
// Without a usable state file (damaged, or missing), the namespace
// records next to it say which namespaces are the lab's. A namespace
// with a lab node's name that topo did not make (or that was replaced
// since) is left alone, and opts.Notes says so.
//
// With opts.WaitCleanup it returns only once the killed processes have
// exited and the kernel has freed the namespaces.
//
// Needs root. Any goroutine. Namespaces not recorded as the lab's own
// are never touched.
func Down(ctx context.Context, name string, opts Options) (bool, error) {
	lock, err := LockLab(ctx, name, "topo down", opts.Wait)
	if err != nil {
		return false, err
	}
	defer lock.Unlock() // a no-op once removeState released it
	st, err := LoadState(name)
	if errors.Is(err, ErrNoState) || errors.Is(err, ErrDamaged) {
		why := stateTrouble(err)
		rec, ok, rerr := recoverState(name, nil)
		switch {
		case rerr != nil:
			return false, fmt.Errorf("%w; reading the namespace records: %w", err, rerr)
		case ok:
			note(opts.Notes, "lab %s: the state file %s; removing the %d namespaces recorded in %s", name, why, len(rec.Namespaces), recordsPath(name))
			st, err = rec, nil
		case errors.Is(err, ErrNoState):
			return false, removeState(lock, name)
		default:
			msg := "lab %s: the state file is damaged and no namespace is recorded: removing the state only"
			if left := namesWithPrefix(node.NetnsDir, name+"-"); len(left) > 0 {
				msg += fmt.Sprintf("; left alone (delete them with `ip netns del` if they are this lab's): %s", strings.Join(left, " "))
			}
			note(opts.Notes, msg, name)
			return true, removeState(lock, name)
		}
	}
	if err == nil {
		err = fillFromRecords(st)
	}
	if err != nil {
		return false, err
	}
	own := ownershipOf(st)
	nodes := own.nodes()
	// One scan of /proc kills the processes of every namespace at once.
	inodes := map[uint64]bool{}
	for _, n := range nodes {
		if cur, err := node.Inode(topology.Namespace(name, n)); err == nil && own.owns(n, cur) {
			inodes[cur] = true
		}
	}
	kill := func(inodes map[uint64]bool) (int, error) { return node.KillProcesses(inodes) }
	if opts.WaitCleanup {
		kill = func(inodes map[uint64]bool) (int, error) { return node.KillAndWait(ctx, inodes) }
	}
	if _, err := kill(inodes); err != nil {
		return true, fmt.Errorf("lab %s: %w", name, err)
	}
	var mu sync.Mutex
	done := 0
	// dealt counts one more node removed or left alone, noting the
	// latter, and returns the count.
	dealt := func(n string, leftAlone error) int {
		mu.Lock()
		defer mu.Unlock()
		if leftAlone != nil {
			note(opts.Notes, "lab %s: node %s: %v", name, n, leftAlone)
		}
		done++
		return done
	}
	err = parallel(ctx, len(nodes), func(i int) error {
		inode, _ := own.inode(nodes[i])
		err := removeNode(name, nodes[i], inode, true)
		var leftAlone error
		switch {
		case errors.Is(err, ErrNotOwned):
			// Not ours (any more): leave it, and the lab goes without it.
			leftAlone = err
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("node %s: %w", nodes[i], err)
		}
		n := dealt(nodes[i], leftAlone)
		if opts.Progress != nil {
			opts.Progress(n, len(nodes))
		}
		return nil
	})
	if err != nil {
		return true, fmt.Errorf("lab %s: %w (run `topo down %s` again)", name, err, name)
	}
	if err := removeState(lock, name); err != nil {
		return true, err
	}
	if opts.WaitCleanup {
		if err := node.WaitNetnsCleanup(ctx); err != nil {
			return true, fmt.Errorf("lab %s is down, but: %w", name, err)
		}
	}
	return true, nil
}

// removeState deletes the lab's state directory (hostname namespaces
// first: a mount point cannot be unlinked) and releases the lock. On
// failure the lock stays held, for the caller's deferred Unlock.
func removeState(lock *Lock, name string) error {
	if err := deleteAllUTS(name); err != nil {
		return fmt.Errorf("lab %s: %w (run `topo down %s` again)", name, err, name)
	}
	return lock.RemoveAndUnlock()
}

// note writes one line to w, if not nil.
func note(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// namesWithPrefix lists the entries of dir whose name starts with prefix.
func namesWithPrefix(dir, prefix string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}
