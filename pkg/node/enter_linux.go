package node

import (
	"fmt"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Do runs fn on a locked OS thread switched into the network namespace
// ns, then switches the thread back. It is the only place in topo that
// moves a thread between namespaces.
//
// fn runs on a dedicated goroutine; it must not start goroutines that
// expect to run in ns (they would run on other threads), and must not
// unlock the thread. Sockets and files that fn opens keep referring to
// ns after Do returns, so they can be used from any goroutine.
//
// If the thread cannot be switched back, it stays locked and the Go
// runtime discards it when the goroutine exits, so no other goroutine
// ever runs in the wrong namespace. The thread is never the process's
// main thread, by which /proc/PID/ns shows the process: a long-lived
// topo process (the supervisor) is never seen in a node's namespace.
func Do(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		errc <- doLocked(ns, fn)
	}()
	return <-errc
}

func doLocked(ns netns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// Never the main thread: /proc/PID/ns shows the process by it
		// (see offMain). While this goroutine keeps it, the next one
		// runs on another.
		err := Do(ns, fn)
		runtime.UnlockOSThread()
		return err
	}
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open current network namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace: %w", err)
	}
	fnErr := fn()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: the runtime kills it on goroutine exit.
		return fmt.Errorf("return to original network namespace: %w (after: %v)", err, fnErr)
	}
	runtime.UnlockOSThread()
	return fnErr
}

// nsPath is the /proc path of the calling thread's namespace of the
// given type ("net", "uts"). It names the thread, not the process,
// because namespaces set with setns/unshare are per thread.
func nsPath(typ string) string {
	return fmt.Sprintf("/proc/self/task/%d/ns/%s", unix.Gettid(), typ)
}

// newNamespace is one namespace for unshareAndBind to make: its
// clone flag (CLONE_NEWNET, CLONE_NEWUTS), its /proc name ("net",
// "uts") and the existing file to bind-mount it on ("" for none: it
// lives as long as something inside refers to it).
type newNamespace struct {
	flag   int
	typ    string
	target string
}

// unshareAndBind runs on a fresh goroutine with a locked OS thread:
// it moves the thread into a new namespace of each type in spaces (one
// unshare call), runs inside (which may be nil) in them, bind-mounts
// each new namespace onto its target in order, and moves the thread
// back. Nothing else runs on the thread meanwhile. If the thread cannot
// be moved back it stays locked and Go discards it with the goroutine.
func unshareAndBind(spaces []newNamespace, inside func() error) error {
	errc := make(chan error, 1)
	go func() {
		errc <- unshareAndBindLocked(spaces, inside)
	}()
	return <-errc
}

func unshareAndBindLocked(spaces []newNamespace, inside func() error) error {
	runtime.LockOSThread()
	orig := make([]int, 0, len(spaces))
	defer func() {
		for _, fd := range orig {
			unix.Close(fd)
		}
	}()
	flags := 0
	for _, sp := range spaces {
		fd, err := unix.Open(nsPath(sp.typ), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			return fmt.Errorf("open current %s namespace: %w", sp.typ, err)
		}
		orig = append(orig, fd)
		flags |= sp.flag
	}
	if err := unix.Unshare(flags); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("unshare: %w", err)
	}
	var stepErr error
	if inside != nil {
		stepErr = inside()
	}
	for _, sp := range spaces {
		if stepErr != nil {
			break
		}
		if sp.target == "" {
			continue
		}
		if err := unix.Mount(nsPath(sp.typ), sp.target, "", unix.MS_BIND, ""); err != nil {
			stepErr = fmt.Errorf("bind-mount new %s namespace on %s: %w", sp.typ, sp.target, err)
		}
	}
	for i, sp := range spaces {
		if err := unix.Setns(orig[i], sp.flag); err != nil {
			// Leave the thread locked: the runtime kills it on goroutine exit.
			return fmt.Errorf("return to original %s namespace: %w (after: %v)", sp.typ, err, stepErr)
		}
	}
	runtime.UnlockOSThread()
	return stepErr
}

// enterForExec runs fn on a fresh goroutine whose OS thread is locked
// and never unlocked: the thread enters the network namespace netns,
// the UTS namespace uts (if not nil), a new mount namespace that
// receives but never sends mount events (MS_SLAVE), with /sys remounted
// for the network namespace (best effort) and hosts (if not nil)
// bind-mounted over /etc/hosts. fn then runs on that thread, so a
// process it forks inherits all of it. The thread dies with the
// goroutine, so the root namespaces are never left behind on it.
func enterForExec(netns, uts, hosts *os.File, binds []Bind, fn func() error) error {
	return offMain(func() error {
		if err := enterAll(netns, uts, hosts, binds); err != nil {
			return err
		}
		return fn()
	})
}

// offMain runs fn on a fresh goroutine whose OS thread is locked, is
// not the process's main thread, and is never unlocked: fn may leave it
// in other namespaces, and it dies with the goroutine. The main thread
// must never be left in another namespace: /proc/PID/ns shows the
// process by it (so `topo down` would take topo exec for a process of
// the lab), and the runtime never lets it die (a goroutine that ends
// locked to it wedges it instead).
func offMain(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// On the main thread: while this goroutine keeps it, the
			// next one runs on another; then the main thread is free
			// again, where it was.
			errc <- offMain(fn)
			runtime.UnlockOSThread()
			return
		}
		errc <- fn() // never unlocked: the thread dies with us
	}()
	return <-errc
}

func enterAll(netns, uts, hosts *os.File, binds []Bind) error {
	if err := unix.Setns(int(netns.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter network namespace %s: %w", netns.Name(), err)
	}
	if uts != nil {
		if err := unix.Setns(int(uts.Fd()), unix.CLONE_NEWUTS); err != nil {
			return fmt.Errorf("enter UTS namespace %s: %w", uts.Name(), err)
		}
	}
	// The hosts file's bind mount is cut from the open file, never its
	// path, while the thread is still in the mount namespace the file
	// was opened in (a mount of another namespace cannot be bound).
	tree := -1
	if hosts != nil {
		var err error
		tree, err = unix.OpenTree(int(hosts.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
		if err != nil {
			return fmt.Errorf("bind-mount %s: %w", hosts.Name(), err)
		}
		defer unix.Close(tree)
	}
	trees, err := cloneBinds(binds)
	defer closeAll(trees)
	if err != nil {
		return err
	}
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("make / a slave mount: %w", err)
	}
	remountSys()
	if tree >= 0 {
		if err := unix.MoveMount(tree, "", unix.AT_FDCWD, "/etc/hosts", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("bind-mount %s over /etc/hosts: %w", hosts.Name(), err)
		}
	}
	return placeBinds(binds, trees)
}

// fdPath names the file open as f through /proc, for the system calls
// that take only a path (mount, umount): the kernel resolves it to that
// very file, whatever its path names now.
func fdPath(f *os.File) string { return fmt.Sprintf("/proc/self/fd/%d", f.Fd()) }

// remountSys replaces /sys with a sysfs of the current network
// namespace, as `ip netns exec` does, keeping it read-only if it was.
// Failure leaves the old /sys and is not fatal: most programs do not
// need it.
func remountSys() {
	var flags uintptr
	var st unix.Statfs_t
	if unix.Statfs("/sys", &st) == nil && st.Flags&unix.ST_RDONLY != 0 {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Unmount("/sys", unix.MNT_DETACH); err != nil {
		return
	}
	_ = unix.Mount("sysfs", "/sys", "sysfs", flags, "")
}

// InThrowawayNetns runs fn on a fresh goroutine whose OS thread is
// locked and moved into a new, unnamed network namespace (unshare
// CLONE_NEWNET). Nothing names or mounts that namespace, so nothing
// else can reach it, and the kernel frees it once the thread and the
// sockets fn opened in it are gone. The thread is never unlocked: it
// dies with the goroutine, so no other goroutine ever runs in the
// throwaway namespace.
//
// fn may open netlink sockets in the namespace (netlink.NewHandle opens
// them in the calling thread's namespace); they keep the namespace
// alive until closed, so fn closes them before it returns unless the
// namespace is to outlive it (NewFreeWatch). It must not start
// goroutines that expect to run there.
// Needs CAP_SYS_ADMIN; without it the error wraps EPERM.
func InThrowawayNetns(fn func() error) error {
	return offMain(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare network namespace: %w", err)
		}
		return fn()
	})
}
