package node

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Settings are read and written through procfs instances of topo's
// own, not through /proc.
//
// In any procfs instance, the entry for /proc/sys/net/ipv4 (ipv6,
// core, ...) of every network namespace that was ever looked up hangs
// under one shared /proc/sys/net directory, with the same name: they
// all fall in one chain of the kernel's dentry hash, which every later
// lookup of that name walks, taking two spinlocks per entry. In the
// machine's /proc, once a 10,000-host lab is up, each such lookup costs
// 5–20 ms, and a no-op `up` made two per node.
//
// A procfs instance made with fsopen and fsmount is attached to no
// directory and has a tree of its own (one superblock per instance
// since Linux 5.8), so its chains hold only the namespaces looked up
// through it. topo uses one for at most sysMountUses namespaces, then
// makes another; the old one is unmounted when its last user is done
// (closing its descriptor frees its entries). Where fsmount fails (an
// old kernel, a sandbox that forbids it), /proc is used as before:
// slower on a machine with many namespaces, the same values.

// sysMountUses is how many namespaces one private procfs serves: a
// lookup walks at most this many entries of its name, while the cost
// of a new instance (about 50 µs, and 1–10 ms of unmounting off the
// caller's path) is spread over them.
const sysMountUses = 64

// sysMount is one procfs instance (or /proc itself) that settings are
// opened under, relative to its root.
type sysMount struct {
	fd     int  // the instance's root directory
	refs   int  // users now
	uses   int  // namespaces served, counting each acquire
	shared bool // /proc itself: never closed
}

var sysMounts struct {
	mu       sync.Mutex
	cur      *sysMount
	fallback *sysMount // /proc, once a private instance could not be made
}

// acquireSysMount returns the procfs instance to open one namespace's
// settings under, for the caller to release when done. Settings
// opened through it belong to the namespace of the thread that opens
// them, as under /proc.
func acquireSysMount() (*sysMount, error) {
	sysMounts.mu.Lock()
	defer sysMounts.mu.Unlock()
	if m := sysMounts.fallback; m != nil {
		return m, nil
	}
	m := sysMounts.cur
	if m == nil || m.uses >= sysMountUses {
		fd, err := newProcfs()
		if m != nil {
			retireSysMount(m)
		}
		if err != nil {
			return fallbackSysMount()
		}
		m = &sysMount{fd: fd}
		sysMounts.cur = m
	}
	m.refs++
	m.uses++
	return m, nil
}

// path names m's root for calls that take a path, ending in a slash:
// the kernel follows /proc/self/fd/N to the very directory open as N.
func (m *sysMount) path() string { return fmt.Sprintf("/proc/self/fd/%d/", m.fd) }

// release gives m back; the last user of a retired instance unmounts
// it.
func (m *sysMount) release() {
	if m.shared {
		return
	}
	sysMounts.mu.Lock()
	defer sysMounts.mu.Unlock()
	m.refs--
	if m.refs == 0 && sysMounts.cur != m {
		closeSysMount(m.fd)
	}
}

// retireSysMount stops handing out m and unmounts it once unused.
// sysMounts.mu held.
func retireSysMount(m *sysMount) {
	sysMounts.cur = nil
	if m.refs == 0 {
		closeSysMount(m.fd)
	}
}

// closeSysMount closes (so unmounts) a private instance on a goroutine
// of its own: the kernel frees the instance's entries before close
// returns, which takes milliseconds nobody needs to wait for.
func closeSysMount(fd int) {
	go unix.Close(fd)
}

// fallbackSysMount switches to /proc for good. sysMounts.mu held.
func fallbackSysMount() (*sysMount, error) {
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	sysMounts.fallback = &sysMount{fd: fd, shared: true}
	return sysMounts.fallback, nil
}

// newProcfs makes a procfs instance attached to no directory and
// returns its root, open.
func newProcfs() (int, error) {
	fsfd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, err
	}
	return unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
}
