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
	"time"

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
// Down holds the lab's start gate (see gate_linux.go) from before it
// looks for processes until the state is gone, and kills until a scan
// finds none (node.KillAll), so no process started by topo survives in
// a lab Down reported gone. With opts.WaitCleanup it returns only once
// the kernel has freed the lab's namespaces, which it does when nothing
// at all holds one any more (a process outside the lab with one open
// keeps it: opts.Notes then names it), and finished tearing them down.
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
	// The supervisor goes first, stopping each service gracefully,
	// before the gate closes on the starts it would try.
	if err := stopSupervisor(name); err != nil {
		return false, err
	}
	release, err := holdGate(ctx, lock.dir, name)
	if err != nil {
		return false, err
	}
	defer release() // after the state is gone: a waiting start finds no lab
	var watch *node.FreeWatch
	if opts.WaitCleanup {
		if watch, err = node.NewFreeWatch(); err != nil {
			return false, fmt.Errorf("lab %s: %w", name, err)
		}
		defer watch.Close()
	}
	// One scan of /proc kills the processes of every namespace at once.
	inodes := map[uint64]bool{}
	for _, n := range nodes {
		f, cur, err := node.OpenNetns(topology.Namespace(name, n))
		if err != nil {
			continue
		}
		if own.owns(n, cur) {
			inodes[cur] = true
			if watch != nil {
				err = watch.Add(f, cur)
			}
		}
		f.Close()
		if err != nil {
			return false, fmt.Errorf("lab %s: %w", name, err)
		}
	}
	if _, err := node.KillAll(ctx, inodes); err != nil {
		return true, fmt.Errorf("lab %s: %w", name, err)
	}
	if err := dropTunnels(st.Lab, own); err != nil {
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
	err = parallelOn(ctx, waitWorkers, len(nodes), func(i int) error {
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
	if watch != nil {
		if err := waitFreed(ctx, name, watch, opts.Notes); err != nil {
			return true, fmt.Errorf("lab %s is down, but: %w", name, err)
		}
	}
	return true, nil
}

// heldNoteAfter is how long down --wait waits for the kernel to free a
// lab's namespaces before it says what holds them.
const heldNoteAfter = 2 * time.Second

// waitFreed waits until the kernel has freed the namespaces watch
// follows (see node.FreeWatch.Wait). Meanwhile it kills any process
// found in one of them again, and once the wait has lasted
// heldNoteAfter it notes, once, what else holds them.
func waitFreed(ctx context.Context, lab string, watch *node.FreeWatch, notes io.Writer) error {
	start := time.Now()
	noted := false
	return watch.Wait(ctx, func(held []uint64) {
		inodes := map[uint64]bool{}
		for _, ino := range held {
			inodes[ino] = true
		}
		node.KillProcesses(inodes)
		if noted || time.Since(start) < heldNoteAfter {
			return
		}
		noted = true
		what := "something outside the lab (an open file or a mount of one)"
		if pids := node.Holders(inodes); len(pids) > 0 {
			what = fmt.Sprintf("processes outside the lab with one open or a thread in one: pids %v", pids)
		}
		note(notes, "lab %s: waiting for the kernel to free %d of its namespaces, still held by %s; Ctrl-C to stop waiting", lab, len(held), what)
	})
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
