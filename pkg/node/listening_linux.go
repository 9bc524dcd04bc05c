package node

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// tcpListen is the state of a listening TCP socket (TCP_LISTEN in
// include/net/tcp_states.h).
const tcpListen = 10

// noSockDiag is set once the kernel answered NETLINK_SOCK_DIAG with
// ENOENT (no inet_diag module): the /proc/net tables are read from then
// on, without asking again at every look.
var noSockDiag atomic.Bool

// Listening reports whether a socket of network namespace ns listens
// on TCP port (proto "tcp") or is bound to UDP port (proto "udp"), on
// any address, IPv4 or IPv6 (see ListeningPorts).
func Listening(ns netns.NsHandle, proto string, port int) (bool, error) {
	ports, err := ListeningPorts(ns, proto)
	return ports[port], err
}

// ListeningPorts returns the TCP ports (proto "tcp") sockets of network
// namespace ns listen on, or the UDP ports ("udp") they are bound to,
// on any address, IPv4 or IPv6. It reads the kernel's socket tables
// through NETLINK_SOCK_DIAG, from a socket opened in ns, or where the
// kernel has no socket diagnostics, from ns's /proc/net tables: no
// process is started, no thread stays in ns.
func ListeningPorts(ns netns.NsHandle, proto string) (map[int]bool, error) {
	diagErr := errors.New("no socket diagnostics in this kernel")
	if !noSockDiag.Load() {
		ports, err := listeningDiag(ns, proto)
		if err == nil {
			return ports, nil
		}
		if errors.Is(err, unix.ENOENT) {
			noSockDiag.Store(true)
		}
		diagErr = err
	}
	ports, err := listeningProc(ns, proto)
	if err != nil {
		return nil, fmt.Errorf("%w; /proc/net/%s: %w", diagErr, proto, err)
	}
	return ports, nil
}

// listeningDiag is ListeningPorts through NETLINK_SOCK_DIAG.
func listeningDiag(ns netns.NsHandle, proto string) (map[int]bool, error) {
	var h *netlink.Handle
	if err := Do(ns, func() (err error) {
		h, err = netlink.NewHandle(unix.NETLINK_INET_DIAG)
		return err
	}); err != nil {
		return nil, fmt.Errorf("socket diagnostics: %w", err)
	}
	defer h.Close()
	ports := map[int]bool{}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		var socks []*netlink.Socket
		var err error
		if proto == "tcp" {
			socks, err = h.SocketDiagTCP(family)
		} else {
			socks, err = h.SocketDiagUDP(family)
		}
		// An interrupted dump may miss a socket, never make one up:
		// what it holds still counts.
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, fmt.Errorf("list %s sockets: %w", proto, err)
		}
		for _, s := range socks {
			if proto != "tcp" || s.State == tcpListen {
				ports[int(s.ID.SourcePort)] = true
			}
		}
	}
	return ports, nil
}
