package node

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// tcpListen is the state of a listening TCP socket (TCP_LISTEN in
// include/net/tcp_states.h).
const tcpListen = 10

// Listening reports whether a socket of network namespace ns listens
// on TCP port (proto "tcp") or is bound to UDP port (proto "udp"), on
// any address, IPv4 or IPv6. It reads the kernel's socket tables
// through NETLINK_SOCK_DIAG, from a socket opened in ns, or where the
// kernel has no socket diagnostics, from ns's /proc/net tables: no
// process is started, no thread stays in ns.
func Listening(ns netns.NsHandle, proto string, port int) (bool, error) {
	held, err := listeningDiag(ns, proto, port)
	if err == nil {
		return held, nil
	}
	held, perr := listeningProc(ns, proto, port)
	if perr != nil {
		return false, fmt.Errorf("%w; /proc/net/%s: %w", err, proto, perr)
	}
	return held, nil
}

// listeningDiag is Listening through NETLINK_SOCK_DIAG.
func listeningDiag(ns netns.NsHandle, proto string, port int) (bool, error) {
	var h *netlink.Handle
	if err := Do(ns, func() (err error) {
		h, err = netlink.NewHandle(unix.NETLINK_INET_DIAG)
		return err
	}); err != nil {
		return false, fmt.Errorf("socket diagnostics: %w", err)
	}
	defer h.Close()
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
			return false, fmt.Errorf("list %s sockets: %w", proto, err)
		}
		for _, s := range socks {
			if int(s.ID.SourcePort) == port && (proto != "tcp" || s.State == tcpListen) {
				return true, nil
			}
		}
	}
	return false, nil
}
