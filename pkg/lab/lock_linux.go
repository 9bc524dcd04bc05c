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
	lab string
	dir *os.File
}

// LockLab takes the lab's lock, creating its state directory. who says
// what the holder does ("topo up"); processes waiting for the lab show
// it with the holder's pid. When another topo holds the lock, a line
// naming it is written to wait (nil: silent) and LockLab blocks until
// the other is done or ctx ends; then the error wraps
// ErrStoppedWaiting, and this process never holds the lock.
func LockLab(ctx context.Context, lab, who string, wait io.Writer) (*Lock, error) {
	if err := os.MkdirAll(Root, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", Root, err)
	}
	var told string
	waiting := func(f *os.File) {
		if wait == nil {
			return
		}
		// Once per holder: after a down, the next may be another.
		if line := waitLine(lab, holderOf(f, lab)); line != told {
			fmt.Fprintln(wait, line)
			told = line
		}
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
		if err := flock(ctx, f, lab, waiting); err != nil {
			return nil, err
		}
		// The holder before us may have removed the directory (down):
		// then our lock is on a dead directory; start again.
		if same(f, Dir(lab)) {
			writeHolder(lab, who)
			return &Lock{lab: lab, dir: f}, nil
		}
		f.Close()
	}
}

// flock takes an exclusive flock on f, an open file of lab. When
// another holds it, flock calls waiting (nil: none) and blocks until
// the lock is free or ctx ends. On error f is closed, or will be once
// the flock given up on returns, so that a lock it gets after all is
// released at once.
func flock(ctx context.Context, f *os.File, lab string, waiting func(*os.File)) error {
	fd := int(f.Fd())
	err := flockRetry(fd, unix.LOCK_EX|unix.LOCK_NB)
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
		if err := flockRetry(fd, unix.LOCK_EX); err != nil {
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
		err := flockRetry(fd, unix.LOCK_EX)
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

func same(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// Unlock releases the lock.
func (l *Lock) Unlock() {
	if l != nil && l.dir != nil {
		// By its fd: the path may already name a directory of another
		// holder (RemoveAndUnlock).
		unix.Unlinkat(int(l.dir.Fd()), holderFile, 0)
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
