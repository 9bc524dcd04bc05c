package lab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Lock is an exclusive hold on one lab: no other topo process changes
// the lab while it is held. It is a flock on the lab's state
// directory, so it vanishes with the process that held it.
type Lock struct {
	lab string
	dir *os.File
}

// LockLab takes the lab's lock, creating its state directory. When
// another topo holds it, a line is written to wait (nil: silent) and
// LockLab blocks until the other is done.
func LockLab(lab string, wait io.Writer) (*Lock, error) {
	if err := os.MkdirAll(Root, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", Root, err)
	}
	for {
		if err := os.Mkdir(Dir(lab), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create %s: %w", Dir(lab), err)
		}
		f, err := os.Open(Dir(lab))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by a `down` between Mkdir and Open
		}
		if err != nil {
			return nil, err
		}
		if err := flock(f, wait, lab); err != nil {
			f.Close()
			return nil, err
		}
		// The holder before us may have removed the directory (down):
		// then our lock is on a dead directory; start again.
		if same(f, Dir(lab)) {
			return &Lock{lab: lab, dir: f}, nil
		}
		f.Close()
	}
}

func flock(f *os.File, wait io.Writer, lab string) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		return fmt.Errorf("lock lab %s: %w", lab, err)
	}
	if wait != nil {
		fmt.Fprintf(wait, "lab %s is being changed by another topo; waiting for it to finish...\n", lab)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock lab %s: %w", lab, err)
	}
	return nil
}

func same(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// Unlock releases the lock.
func (l *Lock) Unlock() {
	if l != nil && l.dir != nil {
		l.dir.Close()
		l.dir = nil
	}
}

// RemoveAndUnlock deletes the lab's state directory, then releases the
// lock; waiting processes notice the directory is gone and start over.
// Call it only when the lab's namespaces are gone.
func (l *Lock) RemoveAndUnlock() error {
	err := os.RemoveAll(Dir(l.lab))
	l.Unlock()
	return err
}
