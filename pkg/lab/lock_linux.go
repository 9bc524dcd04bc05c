package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrStoppedWaiting is wrapped by the error of LockLab, and so of the
// calls that take the lab's lock (Up, Down, SetLinkState, SetImpair),
// when their context ended while another topo held the lab: nothing
// changed.
var ErrStoppedWaiting = errors.New("stopped waiting")

// Lock is an exclusive hold on one lab: no other topo process changes
// the lab while it is held. It is a flock on the lab's state
// directory, so it vanishes with the process that held it.
type Lock struct {
	lab  string
	root *os.File // Root
	dir  *os.File // the lab's state directory, flocked
}

// LockLab takes the lab's lock, creating its state directory. who says
// what the holder does ("topo up"); processes waiting for the lab show
// it with the holder's pid. When another topo holds the lock, a line
// naming it is written to wait (nil: silent) and LockLab blocks until
// the other is done or ctx ends; then the error wraps
// ErrStoppedWaiting, and this process never holds the lock. A state
// directory that is not safe to use (see statedir_linux.go) is refused.
func LockLab(ctx context.Context, lab, who string, wait io.Writer) (*Lock, error) {
	root, err := openRoot(true)
	if err != nil {
		return nil, err
	}
	var told string
	waiting := func(f *os.File) {
		if wait == nil {
			return
		}
		// Once per holder: after a down, the next may be another.
		if line := waitLine(lab, holderOf(f)); line != told {
			fmt.Fprintln(wait, line)
			told = line
		}
	}
	for {
		f, err := openSubdir(root, lab, true)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by a `down` between making and opening it
		}
		if err != nil {
			root.Close()
			return nil, err
		}
		if err := flock(ctx, f, lab, unix.LOCK_EX, waiting); err != nil {
			root.Close()
			return nil, err
		}
		// The holder before us may have removed the directory (down):
		// then our lock is on a dead directory; start again.
		if sameIn(f, root, lab) {
			// Nothing of the lab is changed through a directory that
			// holds what topo did not put there.
			if err := checkTree(f); err != nil {
				f.Close()
				root.Close()
				return nil, err
			}
			writeHolder(f, who)
			return &Lock{lab: lab, root: root, dir: f}, nil
		}
		f.Close()
	}
}

// flock takes a flock on f, an open file of lab: how is LOCK_EX or
// LOCK_SH. When another holds it, flock calls waiting (nil: none) and
// blocks until the lock is free or ctx ends. On error f is closed, or
// will be once the flock given up on returns, so that a lock it gets
// after all is released at once.
func flock(ctx context.Context, f *os.File, lab string, how int, waiting func(*os.File)) error {
	fd := int(f.Fd())
	err := flockRetry(fd, how|unix.LOCK_NB)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return fmt.Errorf("lock lab %s: %w", lab, err)
	}
	if waiting != nil {
		waiting(f)
	}
	if ctx.Done() == nil { // never ends: no need to watch it
		if err := flockRetry(fd, how); err != nil {
			f.Close()
			return fmt.Errorf("lock lab %s: %w", lab, err)
		}
		return nil
	}
	// A blocked flock cannot be interrupted: it runs on a goroutine of
	// its own, which hands f back, or closes it when nobody waits any
	// more.
	got := make(chan error)
	gaveUp := make(chan struct{})
	go func() {
		err := flockRetry(fd, how)
		select {
		case got <- err:
		case <-gaveUp:
			f.Close()
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return fmt.Errorf("lock lab %s: %w", lab, err)
		}
		return nil
	case <-ctx.Done():
		close(gaveUp)
		return fmt.Errorf("%w for lab %s; nothing changed", ErrStoppedWaiting, lab)
	}
}

// flockRetry is flock(2), again when a signal interrupts it.
func flockRetry(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sameIn reports whether name in dir (not followed if a symbolic
// link) is the file open as f: not removed or replaced since.
func sameIn(f, dir *os.File, name string) bool {
	var a, b unix.Stat_t
	return unix.Fstat(int(f.Fd()), &a) == nil &&
		unix.Fstatat(int(dir.Fd()), name, &b, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		a.Dev == b.Dev && a.Ino == b.Ino
}

// Unlock releases the lock. A state directory left holding nothing (an
// up refused before it recorded anything, a link on a lab that is not
// up) goes with it.
func (l *Lock) Unlock() {
	if l == nil || l.dir == nil {
		return
	}
	// By descriptors: only the lock's holder removes the directory, so
	// while the lock is held the name is still this directory's.
	unix.Unlinkat(int(l.dir.Fd()), holderFile, 0)
	unix.Unlinkat(int(l.root.Fd()), l.lab, unix.AT_REMOVEDIR) // fails unless empty
	l.dir.Close()
	l.root.Close()
	l.dir = nil
}

// RemoveAndUnlock deletes the lab's state directory, the state file
// first (a start that finds no gate, or takes one, then finds no state:
// see gateToStart), then releases the lock; waiting processes notice
// the directory is gone and start over. Call it only when the lab's
// namespaces are gone.
func (l *Lock) RemoveAndUnlock() error {
	err := removeAllIn(l.dir, stateFile)
	if err == nil {
		err = removeAllIn(l.root, l.lab)
	}
	l.Unlock()
	return err
}
