package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const netnsDir = "/run/netns"

// space is one named network namespace the floor made: its file under
// /run/netns and a route socket born inside. The fd a veth's peer
// names (IFLA_NET_NS_FD) is opened from the file for that request
// only: one descriptor per namespace for the whole build, so that
// 10,000 namespaces fit under an open-file limit of 20,000.
type space struct {
	name string
	path string
	sock *nl.SocketHandle
	// next is the last interface index handed out here; lo is 1.
	next atomic.Int32
}

// index hands out the next free interface index of the namespace, so
// every create request names its index and no lookup is ever needed.
func (s *space) index() int32 { return s.next.Add(1) }

// prepareNetnsDir makes /run/netns a shared mount point, as iproute2
// does, so the bind mounts are seen by `ip netns` everywhere.
func prepareNetnsDir() error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return err
	}
	err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil || !errors.Is(err, unix.EINVAL) {
		return err
	}
	if err := unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
}

// newSpace creates the namespace like `ip netns add`: an empty file
// (never an existing one), then on a locked thread unshare, bind mount,
// open the fd and the route socket while inside, and switch back. If
// the thread cannot switch back it stays locked and Go discards it.
func newSpace(name string) (*space, error) {
	s := &space{name: name, path: filepath.Join(netnsDir, name)}
	s.next.Store(1)
	f, err := os.OpenFile(s.path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		return nil, err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() { errc <- s.unshareLocked() }()
	if err := <-errc; err != nil {
		s.close()
		removeSpace(s.path)
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	return s, nil
}

func (s *space) unshareLocked() error {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(orig)
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("unshare: %w", err)
	}
	stepErr := unix.Mount("/proc/thread-self/ns/net", s.path, "", unix.MS_BIND, "")
	if stepErr == nil {
		var sock *nl.NetlinkSocket
		sock, stepErr = nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
		if stepErr == nil {
			s.sock = &nl.SocketHandle{Socket: sock}
		}
	}
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("switch back: %w (after %v)", err, stepErr)
	}
	runtime.UnlockOSThread()
	return stepErr
}

// close drops the socket, the floor's last reference to
// the namespace besides its mount.
func (s *space) close() {
	if s.sock != nil {
		s.sock.Close()
		s.sock = nil
	}
}

// removeSpace is `ip netns delete`: detach the mount, unlink the file.
// The kernel frees the namespace (and every link in it) once nothing
// refers to it. Absent is success.
func removeSpace(path string) error {
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

// leftovers lists the namespaces under /run/netns that carry prefix.
func leftovers(prefix string) ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if len(e.Name()) > len(prefix) && e.Name()[:len(prefix)] == prefix {
			out = append(out, filepath.Join(netnsDir, e.Name()))
		}
	}
	return out, nil
}
