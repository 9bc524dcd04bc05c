package node

import (
	"fmt"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NetnsDir is where named network namespaces are bind-mounted, the
// same directory iproute2 uses, so `ip netns list` shows topo's.
const NetnsDir = "/run/netns"

// Namespace is an open named network namespace with a netlink handle
// bound to it. All netlink calls on NL act inside the namespace without
// moving any thread.
type Namespace struct {
	// Name is the namespace name as `ip netns list` shows it.
	Name string
	// Fd refers to the namespace; valid until Close.
	Fd netns.NsHandle
	// NL is a netlink handle whose sockets live in the namespace.
	NL *netlink.Handle
}

// Open opens the named network namespace under NetnsDir and a netlink
// handle inside it. Callable from any goroutine; it does not switch
// threads. The caller must Close it.
func Open(name string) (*Namespace, error) {
	fd, err := netns.GetFromPath(filepath.Join(NetnsDir, name))
	if err != nil {
		return nil, fmt.Errorf("open namespace %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(fd)
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("netlink handle in namespace %s: %w", name, err)
	}
	return &Namespace{Name: name, Fd: fd, NL: h}, nil
}

// Close releases the netlink handle and the namespace reference.
func (n *Namespace) Close() {
	if n == nil {
		return
	}
	if n.NL != nil {
		n.NL.Close()
	}
	if n.Fd.IsOpen() {
		n.Fd.Close()
	}
}

// Do runs fn on a thread switched into this namespace; see the
// package-level Do for the rules fn must follow.
func (n *Namespace) Do(fn func() error) error { return Do(n.Fd, fn) }
