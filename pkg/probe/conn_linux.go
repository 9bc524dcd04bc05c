package probe

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// Dial opens a raw AF_PACKET socket bound to the interface ifname of the
// namespace ns and returns a Client on it. The socket is created inside
// ns through ns.Do (the one namespace-switching helper) and afterwards
// used from any goroutine. It only ever sees frames of that interface,
// and only ARP replies, echo replies and neighbour advertisements (a
// kernel filter drops the rest). Requires CAP_NET_RAW in ns; never call
// it for the root namespace. The caller must Close the Client.
func Dial(ns *node.Namespace, ifname string) (*Client, error) {
	link, err := ns.NL.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("find interface %s:%s: %w", ns.Name, ifname, err)
	}
	a := link.Attrs()
	ifi := Interface{Name: a.Name, Index: a.Index, MAC: a.HardwareAddr, MTU: a.MTU}
	conn, err := openPacketConn(ns, ifi)
	if err != nil {
		return nil, err
	}
	return New(ifi, conn), nil
}

// packetConn is a FrameConn on a bound AF_PACKET socket.
type packetConn struct{ f *os.File }

// openPacketConn creates the socket inside ns. It is created listening to
// no protocol, gets its filter, and only then is bound to the interface
// with ETH_P_ALL, so no frame of another interface is ever queued.
func openPacketConn(ns *node.Namespace, ifi Interface) (*packetConn, error) {
	where := ns.Name + ":" + ifi.Name
	fd := -1
	err := ns.Do(func() error {
		s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open packet socket: %w", err)
		}
		fd = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	fail := func(step string, err error) (*packetConn, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s %s: %w", step, where, err)
	}
	prog := replyFilter()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return fail("attach filter on", err)
	}
	// Belt and braces with the filter's PACKET_OUTGOING test; absent
	// before Linux 4.20.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	// Hundreds of replies may arrive in one burst during a check.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind packet socket to", err)
	}
	// A non-blocking descriptor makes the File pollable: reads honour
	// deadlines and Close unblocks them.
	return &packetConn{f: os.NewFile(uintptr(fd), "packet:"+where)}, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// ReadFrame implements FrameConn.
func (c *packetConn) ReadFrame(b []byte) (int, error) {
	n, err := c.f.Read(b)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// WriteFrame implements FrameConn.
func (c *packetConn) WriteFrame(b []byte) error {
	_, err := c.f.Write(b)
	if errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENETDOWN) {
		return fmt.Errorf("interface down: %w", err)
	}
	return err
}

// SetReadDeadline implements FrameConn.
func (c *packetConn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// Close implements FrameConn.
func (c *packetConn) Close() error { return c.f.Close() }
