package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// A node's hostname is a UTS namespace of its own, bind-mounted on a
// file of the lab's uts directory and made on first use (the first
// `topo exec` or exec command that runs in the node), not by up: most
// nodes of a large lab never run anything, and each mount makes every
// later mount namespace copy (one per `topo exec`) bigger. Making one
// and removing one hold the flock of the uts directory, so two makers
// never cross; removing them all happens while down holds the start
// gate, when nothing makes one.

// hostnameNS returns the node's hostname namespace, open, making it if
// the node has none yet. dir is the lab's state directory. Call it
// holding the lab's start gate. Any goroutine.
func hostnameNS(dir *os.File, nodeName string) (*os.File, error) {
	uts, err := openSubdir(dir, utsDirName, true)
	if err != nil {
		return nil, err
	}
	defer uts.Close()
	if f, err := node.OpenUTS(uts, nodeName); err == nil {
		return f, nil
	}
	unlock, err := lockUTS(uts)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if f, err := node.OpenUTS(uts, nodeName); err == nil {
		return f, nil
	}
	// A file left without its namespace by an interrupted create.
	if err := node.DeleteUTS(uts, nodeName); err != nil {
		return nil, err
	}
	if err := node.CreateUTS(uts, nodeName, nodeName); err != nil {
		return nil, err
	}
	return node.OpenUTS(uts, nodeName)
}

// deleteUTS removes one node's hostname namespace, if it has one.
func deleteUTS(lab, nodeName string) error {
	return withUTS(lab, func(uts *os.File) error { return node.DeleteUTS(uts, nodeName) })
}

// deleteAllUTS removes every hostname namespace in the lab's state
// directory, also those of nodes the state does not name (a damaged
// state), so the directory can go.
func deleteAllUTS(lab string) error {
	return withUTS(lab, func(uts *os.File) error {
		names, err := uts.Readdirnames(-1)
		if err != nil {
			return err
		}
		var errs []error
		for _, n := range names {
			if err := node.DeleteUTS(uts, n); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// withUTS runs fn on the lab's uts directory holding its lock; without
// a uts directory there is nothing to remove, and fn does not run.
func withUTS(lab string, fn func(uts *os.File) error) error {
	dir, err := openLabDir(lab, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer dir.Close()
	uts, err := openSubdir(dir, utsDirName, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer uts.Close()
	unlock, err := lockUTS(uts)
	if err != nil {
		return err
	}
	defer unlock()
	return fn(uts)
}

// lockUTS takes the flock of the lab's uts directory, open as uts (a
// descriptor of the caller's own: a flock belongs to an open file), and
// returns what releases it.
func lockUTS(uts *os.File) (unlock func(), err error) {
	if err := flockRetry(int(uts.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock %s: %w", uts.Name(), err)
	}
	return func() { flockRetry(int(uts.Fd()), unix.LOCK_UN) }, nil
}
