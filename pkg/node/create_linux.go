package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// nsfsMagic is the filesystem magic of namespace files (NSFS_MAGIC).
const nsfsMagic = 0x6e736673

// ErrNotMounted means a namespace file exists but no namespace is
// mounted on it: what a crash between creating the file and mounting
// the namespace leaves behind.
var ErrNotMounted = errors.New("no namespace is mounted on it")

// CreateOptions says what Create sets up in the new namespace. The
// zero value makes the namespace alone.
type CreateOptions struct {
	// Sysctls are net.* settings written inside the new namespace
	// before anything is made in it, such as
	// net.ipv6.conf.default.accept_dad for the interfaces to come.
	Sysctls []Sysctl
}

// Sysctl is one net.* setting, with its dotted key. An Optional one is
// skipped when the kernel does not have it (a module not loaded).
type Sysctl struct {
	Key, Value string
	Optional   bool
}

// Create makes a new named network namespace, bind-mounted at
// NetnsDir/name like `ip netns add` does, with lo up inside, and what
// opts asks for, and returns it open (the caller must Close it).
//
// Everything is made in one pass on one locked thread: unshare, the
// sysctls written and the netlink sockets opened while inside, then
// the bind mount.
//
// An existing name is never adopted: if NetnsDir/name exists, Create
// returns an error wrapping fs.ErrExist and changes nothing. If a later step fails, Create unmounts and removes what it
// made. Callable from any goroutine.
func Create(name string, opts CreateOptions) (_ *Namespace, err error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	for _, sc := range opts.Sysctls {
		if _, err = sysctlPath(sc.Key); err != nil {
			return nil, err
		}
	}
	if err := prepareNetnsDirOnce(); err != nil {
		return nil, err
	}
	path := filepath.Join(NetnsDir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", name, err)
	}
	f.Close()
	var m *sysMount
	if len(opts.Sysctls) > 0 {
		if m, err = acquireSysMount(); err != nil {
			return nil, fmt.Errorf("create namespace %s: open /proc: %w", name, err)
		}
		defer m.release()
	}
	ns := &Namespace{Name: name, Fd: -1}
	defer func() {
		if err != nil {
			ns.Close()
			unmountAndRemove(path)
		}
	}()
	err = unshareAndBind([]newNamespace{{flag: unix.CLONE_NEWNET, typ: "net", target: path}}, func() error {
		if m == nil {
			return ns.openHere()
		}
		dirs := sysDirs{root: m.fd, fds: map[string]int{}}
		defer dirs.close()
		for _, sc := range opts.Sysctls {
			err := dirs.write(sc.Key, sc.Value)
			if errors.Is(err, fs.ErrNotExist) && sc.Optional {
				continue
			}
			if err != nil {
				return fmt.Errorf("set sysctl %s=%s: %w", sc.Key, sc.Value, err)
			}
		}
		return ns.openHere()
	})
	if err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", name, err)
	}
	// lo is always index 1 in a new network namespace.
	if err := ns.NL.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}}); err != nil {
		return nil, fmt.Errorf("namespace %s: set lo up: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd), &st); err != nil {
		return nil, fmt.Errorf("namespace %s: stat: %w", name, err)
	}
	ns.Inode = st.Ino
	return ns, nil
}

// Inode returns the nsfs inode of the namespace mounted at
// NetnsDir/name. The error wraps fs.ErrNotExist when there is no such
// file, and says so when the file exists but no namespace is mounted
// on it (a leftover of a crash; Delete removes it).
func Inode(name string) (uint64, error) {
	path := filepath.Join(NetnsDir, name)
	var sfs unix.Statfs_t
	if err := unix.Statfs(path, &sfs); err != nil {
		return 0, fmt.Errorf("namespace %s: %w", name, &fs.PathError{Op: "statfs", Path: path, Err: err})
	}
	if sfs.Type != nsfsMagic {
		return 0, fmt.Errorf("namespace %s: %s exists but %w", name, path, ErrNotMounted)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("namespace %s: %w", name, &fs.PathError{Op: "stat", Path: path, Err: err})
	}
	return st.Ino, nil
}

// DeleteLeftover removes NetnsDir/name when it is a file with no
// namespace mounted on it (see ErrNotMounted). It does nothing when the
// file is absent or a namespace is mounted on it.
func DeleteLeftover(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := Inode(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, ErrNotMounted):
		if err := os.Remove(filepath.Join(NetnsDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove leftover %s: %w", name, err)
		}
		return nil
	}
	return err
}

// Delete unmounts and removes NetnsDir/name. An absent namespace is
// success, so Delete can be repeated. It does not kill the processes
// still in the namespace (see KillProcesses); the kernel frees the
// namespace when the last of them exits.
func Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := unmountAndRemove(filepath.Join(NetnsDir, name)); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return nil
}

// unmountAndRemove detaches whatever is mounted on path and unlinks it.
// Not mounted (EINVAL) and absent (ENOENT) count as done.
func unmountAndRemove(path string) error {
	var errs []error
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		errs = append(errs, fmt.Errorf("umount %s: %w", path, err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// writeProcFile writes value to a /proc file with plain system calls:
// os.WriteFile would also try (and fail) to register the file with
// Go's poller, a cost paid per node.
func writeProcFile(path, value string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	_, err = unix.Write(fd, []byte(value))
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

var (
	netnsDirMu    sync.Mutex
	netnsDirReady bool
)

// prepareNetnsDirOnce runs prepareNetnsDir until it first succeeds in
// this process: making the mount shared again per namespace costs a
// walk of every mount under it.
func prepareNetnsDirOnce() error {
	netnsDirMu.Lock()
	defer netnsDirMu.Unlock()
	if netnsDirReady {
		return nil
	}
	if err := prepareNetnsDir(); err != nil {
		return err
	}
	netnsDirReady = true
	return nil
}

// prepareNetnsDir creates NetnsDir and makes it a shared mount point,
// exactly as iproute2 does, so that namespace mounts made or removed
// here reach (and leave) the mount namespaces of processes started
// with Start, and `ip netns` sees them.
func prepareNetnsDir() error {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", NetnsDir, err)
	}
	err := unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("make %s a shared mount: %w", NetnsDir, err)
	}
	// Not a mount point yet: bind it onto itself, then share it.
	if err := unix.Mount(NetnsDir, NetnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mount %s onto itself: %w", NetnsDir, err)
	}
	if err := unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make %s a shared mount: %w", NetnsDir, err)
	}
	return nil
}

// checkName rejects names that are not a single path element.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name || len(name) > 255 {
		return fmt.Errorf("invalid namespace name %q", name)
	}
	return nil
}
