package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// topo runs as root and keeps what it knows of its labs in Root
// (/run/topo, or TOPO_STATE_DIR). Whoever could write there could make
// root's topo write, append, mount or delete wherever they chose (a
// symbolic link LAB -> /etc, LAB/exec/h1.log -> /root/.bashrc), so topo
// uses the state directory only when nobody but root can have changed
// it, and never follows a symbolic link in it:
//
//   - Root is an absolute path, walked from / one directory at a time
//     without following symbolic links. Every directory on the way is
//     owned by root, and writable by group or others only when sticky
//     (as /tmp is: nobody else can then rename or remove root's
//     entries).
//   - Root and every directory and file under it are owned by root and
//     not writable by group or others; files are regular files with
//     one link (a hard link would write through to another name).
//   - Everything under Root is opened relative to Root's descriptor with
//     openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//     RESOLVE_NO_MAGICLINKS): never through a symbolic link, never
//     outside Root.
//   - topo makes directories 0700 and files 0600 (the hosts file 0644,
//     for commands that drop root), and replaces a file by renaming a
//     new one over it within its directory.
//
// A state directory that breaks a rule is refused with an error wrapping
// ErrUnsafeState that names the path and the rule, before anything is
// read from or written to it. "Root" is the effective user topo runs as,
// which is root but in tests that need no privileges.

// ErrUnsafeState means the state directory, or something in it, could
// have been changed by another user than root (see the rules above);
// topo then changes nothing.
var ErrUnsafeState = errors.New("unsafe state directory")

// beneath is how everything under Root is opened.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// refuse returns the error refusing path for why, with what to do.
func refuse(path, why, fix string) error {
	return fmt.Errorf("%w: %s %s; %s", ErrUnsafeState, path, why, fix)
}

// trustedOwner reports whether uid may own the state directory: root,
// or the user topo runs as.
func trustedOwner(uid uint32) bool { return uid == 0 || int(uid) == os.Geteuid() }

// openRoot opens Root after checking it and every directory above it
// (see the rules above). With create, a missing Root (and missing
// directories above it) is made 0700; without, the error wraps
// fs.ErrNotExist.
func openRoot(create bool) (*os.File, error) {
	if !filepath.IsAbs(Root) {
		return nil, fmt.Errorf("%w: TOPO_STATE_DIR %q is not an absolute path: give the full path of a directory only root can write", ErrUnsafeState, Root)
	}
	clean := filepath.Clean(Root)
	if clean == "/" {
		return nil, fmt.Errorf("%w: TOPO_STATE_DIR is /: give topo a directory of its own", ErrUnsafeState)
	}
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	dir := os.NewFile(uintptr(fd), "/")
	if err := checkAncestor(dir); err != nil {
		dir.Close()
		return nil, err
	}
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	for i, name := range parts {
		last := i == len(parts)-1
		flags := unix.O_PATH
		if last {
			flags = unix.O_RDONLY // Labs reads it
		}
		next, err := openDirIn(dir, name, flags, create)
		if errors.Is(err, ErrUnsafeState) {
			err = fmt.Errorf("%w (TOPO_STATE_DIR is %s: give it a path without symbolic links; readlink -f prints one)", err, Root)
		}
		dir.Close()
		if err != nil {
			return nil, err
		}
		dir = next
		check := checkAncestor
		if last {
			check = checkOwned
		}
		if err := check(dir); err != nil {
			dir.Close()
			return nil, err
		}
	}
	return dir, nil
}

// openLabDir opens the state directory of a lab, checked (checkOwned);
// with create it is made 0700 when missing. Without, a missing one
// wraps fs.ErrNotExist.
func openLabDir(lab string, create bool) (*os.File, error) {
	root, err := openRoot(create)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return openSubdir(root, lab, create)
}

// makeLabSubdir makes the directory name (0700) in a lab's state
// directory, when missing.
func makeLabSubdir(lab, name string) error {
	dir, err := openLabDir(lab, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	sub, err := openSubdir(dir, name, true)
	if err != nil {
		return err
	}
	return sub.Close()
}

// openSubdir opens the directory name in the open directory dir (see
// openDirIn), checked (checkOwned), for reading and locking.
func openSubdir(dir *os.File, name string, create bool) (*os.File, error) {
	d, err := openDirIn(dir, name, unix.O_RDONLY, create)
	if err != nil {
		return nil, err
	}
	if err := checkOwned(d); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// openDirIn opens the directory name (one path element) in dir with
// flags, never through a symbolic link; with create it makes it 0700
// first when missing.
func openDirIn(dir *os.File, name string, flags int, create bool) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return nil, fmt.Errorf("%s: not a name in %s", path, dir.Name())
	}
	open := func() (int, error) {
		return unix.Openat2(int(dir.Fd()), name, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC),
			Resolve: beneath,
		})
	}
	fd, err := open()
	if errors.Is(err, unix.ENOENT) && create {
		if err := unix.Mkdirat(int(dir.Fd()), name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, &fs.PathError{Op: "mkdir", Path: path, Err: err}
		}
		fd, err = open()
	}
	if err != nil {
		return nil, notFollowed(dir, name, path, "open", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// notFollowed turns the error of opening name in dir into one that says
// why when name is a symbolic link (ELOOP, or ENOTDIR with O_PATH) or
// not what was expected.
func notFollowed(dir *os.File, name, path, op string, err error) error {
	var st unix.Stat_t
	if (errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EXDEV)) &&
		unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			return refuse(path, "is a symbolic link", "topo never follows one in its state directory: remove it")
		case unix.S_IFDIR:
		default:
			if errors.Is(err, unix.ENOTDIR) {
				return refuse(path, "is not a directory", "remove it")
			}
		}
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}

// checkAncestor checks a directory above Root: owned by root, and
// writable by group or others only when sticky.
func checkAncestor(d *os.File) error {
	st, err := fstat(d)
	if err != nil {
		return err
	}
	switch {
	case !trustedOwner(st.Uid):
		return refuse(d.Name(), fmt.Sprintf("is owned by uid %d, not root", st.Uid), "that user could put another directory in the state directory's place: keep TOPO_STATE_DIR under directories only root can change (the default is /run/topo)")
	case st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0:
		return refuse(d.Name(), fmt.Sprintf("is writable by group or others (mode %04o) and not sticky", st.Mode&0o7777), "anyone could put another directory in the state directory's place: keep TOPO_STATE_DIR under directories only root can change (the default is /run/topo)")
	}
	return nil
}

// checkOwned checks Root, or a directory or file under it: owned by
// root, not writable by group or others; a file is a regular file with
// one link.
func checkOwned(f *os.File) error {
	st, err := fstat(f)
	if err != nil {
		return err
	}
	return checkStat(st, f.Name())
}

// checkStat is checkOwned on what fstat says of path.
func checkStat(st *unix.Stat_t, path string) error {
	kind := st.Mode & unix.S_IFMT
	switch {
	case kind != unix.S_IFDIR && kind != unix.S_IFREG:
		return refuse(path, "is neither a directory nor a regular file", "remove it")
	case !trustedOwner(st.Uid):
		return refuse(path, fmt.Sprintf("is owned by uid %d, not root", st.Uid), "another user could have put anything there: remove it, or use a state directory only root can write (the default is /run/topo)")
	case st.Mode&0o022 != 0:
		return refuse(path, fmt.Sprintf("is writable by group or others (mode %04o)", st.Mode&0o7777), "anyone could have put anything there: check what it holds and chmod go-w it, or use a state directory only root can write (the default is /run/topo)")
	case kind == unix.S_IFREG && st.Nlink != 1:
		return refuse(path, fmt.Sprintf("has %d hard links", st.Nlink), "writing it would write another name too: remove it")
	}
	return nil
}

func fstat(f *os.File) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.Name(), Err: err}
	}
	return &st, nil
}

// maxStateDepth is how deep topo's own state goes below a lab's
// directory (uts/NODE, exec/NODE.log); checkTree goes no deeper.
const maxStateDepth = 2

// checkTree checks everything under dir, a lab's state directory, as
// checkOwned would, without following a symbolic link: topo refuses a
// lab's directory holding anything it would not have put there before
// it changes anything (LockLab), rather than at the file it happens to
// open first. The hostname namespaces mounted in uts pass: their nsfs
// files are root's and read-only.
func checkTree(dir *os.File) error {
	return checkTreeDepth(dir, 0)
}

func checkTreeDepth(dir *os.File, depth int) error {
	fd, err := unix.Openat(int(dir.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir.Name(), Err: err}
	}
	list := os.NewFile(uintptr(fd), dir.Name())
	names, err := list.Readdirnames(-1)
	list.Close()
	if err != nil {
		return err
	}
	for _, name := range names {
		if depth == 0 && name == nodesDirName {
			continue // the nodes' own files: whatever their processes make
		}
		path := filepath.Join(dir.Name(), name)
		var st unix.Stat_t
		if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			return refuse(path, "is a symbolic link", "topo never follows one in its state directory: remove it")
		case unix.S_IFDIR:
			if depth >= maxStateDepth {
				return refuse(path, "is a directory where topo keeps none", "remove it")
			}
			sub, err := openSubdir(dir, name, false)
			if err != nil {
				return err
			}
			err = checkTreeDepth(sub, depth+1)
			sub.Close()
			if err != nil {
				return err
			}
		case unix.S_IFREG:
			if err := checkStat(&st, path); err != nil {
				return err
			}
		default:
			return refuse(path, "is neither a directory nor a regular file", "remove it")
		}
	}
	return nil
}
