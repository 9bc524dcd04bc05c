package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Bind is one private path of a node: Src (open; a directory or a
// file of the lab's state directory) is bound over Target inside the
// command's own mount namespace. The machine's Target is never
// touched: when it does not exist, its nearest existing parent is
// shadowed by a tmpfs that holds the parent's own entries (bound back)
// and the missing path.
type Bind struct {
	Src    *os.File
	Target string
}

// cloneBinds cuts a detached mount of each bind's source, while the
// thread is still in the mount namespace the sources were opened in.
func cloneBinds(binds []Bind) ([]int, error) {
	trees := make([]int, 0, len(binds))
	for _, b := range binds {
		t, err := unix.OpenTree(int(b.Src.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
		if err != nil {
			return trees, fmt.Errorf("bind-mount %s: %w", b.Src.Name(), err)
		}
		trees = append(trees, t)
	}
	return trees, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// placeBinds moves each cloned source over its target, in the
// thread's own mount namespace.
func placeBinds(binds []Bind, trees []int) error {
	for i, b := range binds {
		st, err := b.Src.Stat()
		if err != nil {
			return err
		}
		if err := ensureTarget(b.Target, st.IsDir()); err != nil {
			return fmt.Errorf("private path %s: %w", b.Target, err)
		}
		if err := unix.MoveMount(trees[i], "", unix.AT_FDCWD, b.Target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("bind-mount %s over %s: %w", b.Src.Name(), b.Target, err)
		}
	}
	return nil
}

// ensureTarget makes target exist in the thread's mount namespace
// without writing to the machine's file system: the nearest existing
// parent is shadowed (see shadow) and the missing path made in the
// tmpfs.
func ensureTarget(target string, dir bool) error {
	if _, err := os.Stat(target); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(target)
	for {
		if _, err := os.Stat(parent); err == nil {
			break
		}
		parent = filepath.Dir(parent)
	}
	if parent == "/" {
		return fmt.Errorf("neither it nor its parent directories exist")
	}
	if err := shadow(parent); err != nil {
		return fmt.Errorf("shadow %s: %w", parent, err)
	}
	if !dir {
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		return f.Close()
	}
	return os.MkdirAll(target, 0o755)
}

// shadow mounts a tmpfs over dir holding what dir holds: each entry
// bound back from the original (with its submounts), symbolic links
// made again.
func shadow(dir string) error {
	orig, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(orig)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(orig, &st); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("mode=%o", st.Mode&0o7777)); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		at := filepath.Join(dir, name)
		if e.Type()&fs.ModeSymlink != 0 {
			buf := make([]byte, 4096)
			n, err := unix.Readlinkat(orig, name, buf)
			if err != nil {
				return err
			}
			if err := os.Symlink(string(buf[:n]), at); err != nil {
				return err
			}
			continue
		}
		if e.IsDir() {
			err = os.Mkdir(at, 0o755)
		} else {
			var f *os.File
			if f, err = os.Create(at); err == nil {
				err = f.Close()
			}
		}
		if err != nil {
			return err
		}
		tree, err := unix.OpenTree(orig, name, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE|unix.AT_SYMLINK_NOFOLLOW)
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		err = unix.MoveMount(tree, "", unix.AT_FDCWD, at, unix.MOVE_MOUNT_F_EMPTY_PATH)
		unix.Close(tree)
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
	}
	return nil
}
