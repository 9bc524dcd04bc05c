package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// A node's hostname is a UTS namespace of its own, bind-mounted at
// UTSPath and made on first use (the first `topo exec` or exec command
// that runs in the node), not by up: most nodes of a large lab never
// run anything, and each mount makes every later mount namespace copy
// (one per `topo exec`) bigger. Making one and removing them all (down)
// hold the flock of the lab's uts directory, so they never cross.

func utsDir(lab string) string { return filepath.Join(Dir(lab), "uts") }

// hostnameNS returns the path of the node's hostname namespace, making
// it if the node has none yet. The node's network namespace must
// exist: a lab being taken down gets no new hostname namespace. Any
// goroutine.
func hostnameNS(lab, nodeName string) (string, error) {
	path := UTSPath(lab, nodeName)
	if node.IsNamespace(path) {
		return path, nil
	}
	unlock, err := lockUTS(lab)
	if err != nil {
		return "", fmt.Errorf("hostname of node %s: %w", nodeName, err)
	}
	defer unlock()
	if node.IsNamespace(path) {
		return path, nil
	}
	if _, err := node.Inode(topology.Namespace(lab, nodeName)); err != nil {
		return "", fmt.Errorf("node %s of lab %s: %w", nodeName, lab, err)
	}
	// A file left without its namespace by an interrupted create.
	if err := node.DeleteUTS(path); err != nil {
		return "", err
	}
	if err := node.CreateUTS(path, nodeName); err != nil {
		return "", err
	}
	return path, nil
}

// deleteUTS removes one node's hostname namespace, if it has one.
func deleteUTS(lab, nodeName string) error {
	return whileUTSLocked(lab, func() error { return node.DeleteUTS(UTSPath(lab, nodeName)) })
}

// deleteAllUTS removes every hostname namespace in the lab's state
// directory, also those of nodes the state does not name (a damaged
// state), so the directory can go.
func deleteAllUTS(lab string) error {
	return whileUTSLocked(lab, func() error {
		entries, err := os.ReadDir(utsDir(lab))
		if err != nil {
			return err
		}
		var errs []error
		for _, e := range entries {
			if err := node.DeleteUTS(filepath.Join(utsDir(lab), e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// whileUTSLocked runs fn holding the lab's uts lock; without a uts
// directory there is nothing to remove, and fn does not run.
func whileUTSLocked(lab string, fn func() error) error {
	unlock, err := lockUTS(lab)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// lockUTS takes the flock of the lab's uts directory and returns what
// releases it. The error wraps fs.ErrNotExist when the directory is
// gone (the lab is not up), also when it went while we waited.
func lockUTS(lab string) (unlock func(), err error) {
	dir := utsDir(lab)
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := flock(context.Background(), f, lab, nil); err != nil {
		return nil, err
	}
	if !same(f, dir) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
	}
	return func() { f.Close() }, nil
}
