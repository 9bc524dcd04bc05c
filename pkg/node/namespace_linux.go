package node

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetnsDir is where named network namespaces are bind-mounted, the
// same directory iproute2 uses, so `ip netns list` shows topo's.
const NetnsDir = "/run/netns"

// Namespace is an open named network namespace with netlink sockets
// bound to it. All netlink calls on NL (and Request) act inside the
// namespace without moving any thread.
type Namespace struct {
	// Name is the namespace name as `ip netns list` shows it.
	Name string
	// Fd refers to the namespace; valid until Close.
	Fd netns.NsHandle
	// Inode is the namespace's nsfs inode, its identity; set by Create
	// and Open.
	Inode uint64
	// NL is a netlink handle whose route socket lives in the namespace.
	NL *netlink.Handle
	// raw is a second route socket in the namespace for requests the
	// handle has no method for (bridge STP, netconf).
	raw *nl.SocketHandle
}

// Open opens the named network namespace under NetnsDir and netlink
// sockets inside it. Callable from any goroutine: the sockets are
// created on a thread switched by Do, which is the only thing that
// moves a thread. The caller must Close it.
func Open(name string) (*Namespace, error) {
	fd, err := netns.GetFromPath(filepath.Join(NetnsDir, name))
	if err != nil {
		return nil, fmt.Errorf("open namespace %s: %w", name, err)
	}
	n := &Namespace{Name: name, Fd: fd}
	var st unix.Stat_t
	if err := unix.Fstat(int(fd), &st); err != nil {
		fd.Close()
		return nil, fmt.Errorf("open namespace %s: stat: %w", name, err)
	}
	n.Inode = st.Ino
	if err := Do(fd, func() error { return n.openSockets() }); err != nil {
		n.Close()
		return nil, fmt.Errorf("netlink sockets in namespace %s: %w", name, err)
	}
	return n, nil
}

// openHere fills n from the calling thread's network namespace: an fd
// for it and its netlink sockets. The thread must be locked and in the
// namespace (inside Do or unshareAndBind).
func (n *Namespace) openHere() error {
	fd, err := netns.GetFromPath(nsPath("net"))
	if err != nil {
		return fmt.Errorf("open new network namespace: %w", err)
	}
	n.Fd = fd
	return n.openSockets()
}

// openSockets opens n's netlink sockets in the calling thread's
// network namespace; the thread must be locked and in n.
func (n *Namespace) openSockets() error {
	// Plain sockets are born in the thread's namespace; only the
	// route family is needed.
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		return err
	}
	n.NL, n.raw = h, &nl.SocketHandle{Socket: s}
	return nil
}

// Request sends a raw route-netlink request through the namespace's
// own socket and returns the replies of type resType. Any goroutine.
func (n *Namespace) Request(req *nl.NetlinkRequest, resType uint16) ([][]byte, error) {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: n.raw}
	return req.Execute(unix.NETLINK_ROUTE, resType)
}

// DeviceIoctl makes a network device request (SIOCETHTOOL, ...) with
// ifr, a struct ifreq, through one of the namespace's sockets: the
// kernel looks the device up in the socket's namespace, so no thread
// moves. Any goroutine.
func (n *Namespace) DeviceIoctl(req uint, ifr unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(n.raw.Socket.GetFd()), uintptr(req), uintptr(ifr))
	if e != 0 {
		return e
	}
	return nil
}

// Close releases the netlink sockets and the namespace reference.
func (n *Namespace) Close() {
	if n == nil {
		return
	}
	if n.NL != nil {
		n.NL.Close()
	}
	if n.raw != nil {
		n.raw.Close()
	}
	if n.Fd.IsOpen() {
		n.Fd.Close()
	}
}

// Do runs fn on a thread switched into this namespace; see the
// package-level Do for the rules fn must follow.
func (n *Namespace) Do(fn func() error) error { return Do(n.Fd, fn) }

// OpenNetns opens the named network namespace under NetnsDir as a file
// (for ExecSpec.Netns) and returns its nsfs inode, its identity. The
// error wraps fs.ErrNotExist when there is no such name, and
// ErrNotMounted when the file holds no namespace. The caller must
// Close it.
func OpenNetns(name string) (*os.File, uint64, error) {
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	path := filepath.Join(NetnsDir, name)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("namespace %s: %w", name, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	inode, err := nsInode(f, unix.CLONE_NEWNET)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("namespace %s: %s %w", name, path, err)
	}
	return f, inode, nil
}

// nsInode returns the inode of f, an open namespace file, after making
// sure it is one of type nstype (CLONE_NEWNET, CLONE_NEWUTS); the
// error wraps ErrNotMounted when it is no namespace.
func nsInode(f *os.File, nstype int) (uint64, error) {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &sfs); err != nil {
		return 0, err
	}
	if sfs.Type != nsfsMagic {
		return 0, fmt.Errorf("exists but %w", ErrNotMounted)
	}
	typ, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil {
		return 0, fmt.Errorf("type of namespace: %w", err)
	}
	if typ != nstype {
		return 0, fmt.Errorf("is a namespace of another type (%#x)", typ)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
