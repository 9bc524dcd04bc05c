package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
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
	st, err := LoadState(name)
	if errors.Is(err, ErrNoState) || errors.Is(err, ErrDamaged) {
		why := stateTrouble(err)
		rec, ok, rerr := recoverState(name, nil)
		switch {
		case rerr != nil:
			lock.Unlock()
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
	kill := func(inodes map[uint64]bool) (int, error) { return node.KillProcesses(inodes) }
	if opts.WaitCleanup {
		kill = func(inodes map[uint64]bool) (int, error) { return node.KillAndWait(ctx, inodes) }
	}
	if _, err := kill(inodes); err != nil {
		lock.Unlock()
		return true, fmt.Errorf("lab %s: %w", name, err)
	}
	var mu sync.Mutex
	done := 0
	err = parallel(ctx, len(nodes), func(i int) error {
		err := removeNode(name, nodes[i], st.Namespaces[nodes[i]], true)
		switch {
		case errors.Is(err, ErrNotOwned):
			// Not ours (any more): leave it, and the lab goes without it.
			mu.Lock()
			note(opts.Notes, "lab %s: node %s: %v", name, nodes[i], err)
			mu.Unlock()
		case err != nil && !errors.Is(err, fs.ErrNotExist):
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
// first: a mount point cannot be unlinked) and releases the lock.
func removeState(lock *Lock, name string) error {
	if err := deleteAllUTS(name); err != nil {
		lock.Unlock()
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
