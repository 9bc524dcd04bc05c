package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// TalkOptions tune Talk.
type TalkOptions struct {
	// Timeout bounds the connection and the wait for an answer;
	// default 1s.
	Timeout time.Duration
	// Send is written once connected (UDP: sent; "topo\n" when empty).
	Send string
	// Want is text the answer must hold; "" asks for none (TCP) or
	// any (UDP).
	Want string
	// NameOf names the node that owns an address, for ICMP errors.
	NameOf func(netip.Addr) string
}

// Talk connects from ns to dst over proto ("tcp" or "udp") with a
// socket made inside ns, so the node's routes, neighbours and firewall
// apply as to any program of the node. TCP succeeds once connected
// (and, with Want, once the answer holds it); UDP once an answer comes.
// To tell a TCP RST from an ICMP error (both are ECONNREFUSED to a
// program) it reads, on a raw ICMP socket of the node's, the errors
// that quote its packets: a raw socket is handed each ICMP message
// before the transport sees it. The caller keeps ns open. Needs root;
// any goroutine.
func Talk(ctx context.Context, ns *node.Namespace, proto string, dst netip.AddrPort, o TalkOptions) Conn {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	c := Conn{Proto: proto, To: dst}
	fail := func(out Outcome, err error) Conn {
		c.Outcome, c.Error = out, err.Error()
		return c
	}
	var (
		sn    *sniffer
		conn  net.Conn
		local uint16
		start time.Time
		derr  error
	)
	err := ns.Do(func() error {
		var err error
		if sn, err = openSniffer(dst.Addr().Is6()); err != nil {
			return err
		}
		d := net.Dialer{Timeout: o.Timeout, Control: func(_, _ string, rc syscall.RawConn) error {
			// Bind now to learn the port the ICMP errors will quote.
			var berr error
			err := rc.Control(func(fd uintptr) {
				var sa unix.Sockaddr = &unix.SockaddrInet4{}
				if dst.Addr().Is6() {
					sa = &unix.SockaddrInet6{}
				}
				if berr = unix.Bind(int(fd), sa); berr != nil {
					return
				}
				got, gerr := unix.Getsockname(int(fd))
				switch a := got.(type) {
				case *unix.SockaddrInet4:
					local = uint16(a.Port)
				case *unix.SockaddrInet6:
					local = uint16(a.Port)
				default:
					berr = fmt.Errorf("getsockname: %v", gerr)
				}
			})
			return errors.Join(err, berr)
		}}
		start = time.Now()
		conn, derr = d.DialContext(ctx, proto, dst.String())
		return nil
	})
	if err != nil {
		return fail(OutcomeError, fmt.Errorf("%s: %w", ns.Name, err))
	}
	defer sn.close()
	// icmp looks for an ICMP error quoting our packets; true when found.
	icmp := func() bool {
		q, ok := sn.find(proto, local, dst)
		if !ok {
			return false
		}
		if o.NameOf != nil {
			q.err.FromNode = o.NameOf(q.err.From)
		}
		c.Outcome, c.ICMP = OutcomeUnreachable, q.err
		return true
	}
	if derr != nil {
		if icmp() {
			return c
		}
		return fail(dialOutcome(derr), localText(ns.Name, derr))
	}
	defer conn.Close()
	if proto == "tcp" {
		c.RTT = time.Since(start)
	}
	send := o.Send
	if send == "" && proto == "udp" {
		send = "topo\n"
	}
	deadline := time.Now().Add(o.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	sent := time.Now()
	if send != "" {
		if _, err := io.WriteString(conn, send); err != nil {
			if icmp() {
				return c
			}
			return fail(dialOutcome(err), localText(ns.Name, err))
		}
	}
	if proto == "tcp" && o.Want == "" {
		c.Outcome = OutcomeAnswered
		return c
	}
	answer, rerr := readAnswer(conn, proto, o.Want)
	c.Answer = answer
	switch {
	case answer != "" && (o.Want == "" || strings.Contains(answer, o.Want)):
		c.Outcome = OutcomeAnswered
		if proto == "udp" {
			c.RTT = time.Since(sent)
		}
	case answer != "":
		c.Outcome, c.Want = OutcomeWrongAnswer, o.Want
	case icmp():
	case rerr == nil || errors.Is(rerr, io.EOF):
		c.Outcome, c.Error = OutcomeWrongAnswer, "the connection was closed without an answer"
	default:
		return fail(dialOutcome(rerr), localText(ns.Name, rerr))
	}
	return c
}

// readAnswer reads until the answer holds want (any datagram for UDP
// with no want), the peer closes, maxAnswer bytes came or the deadline
// passes.
func readAnswer(conn net.Conn, proto, want string) (string, error) {
	var b strings.Builder
	buf := make([]byte, maxAnswer)
	for b.Len() < maxAnswer {
		n, err := conn.Read(buf[:maxAnswer-b.Len()])
		b.Write(buf[:n])
		if err != nil {
			return b.String(), err
		}
		if (want == "" && proto == "udp") || (want != "" && strings.Contains(b.String(), want)) {
			break
		}
	}
	return b.String(), nil
}

// dialOutcome classifies a failed connect, write or read with no ICMP
// error seen.
func dialOutcome(err error) Outcome {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.Is(err, unix.ECONNREFUSED), errors.Is(err, unix.ECONNRESET):
		return OutcomeRefused
	case errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.EACCES), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EADDRNOTAVAIL):
		return OutcomeLocal
	}
	return OutcomeError
}

// localText says what a failure in the source's own stack means.
func localText(node string, err error) error {
	var why string
	switch {
	case errors.Is(err, unix.ENETUNREACH):
		why = "no route to it"
	case errors.Is(err, unix.EHOSTUNREACH):
		why = "no ARP/NDP answer from the next hop, or an unreachable route"
	case errors.Is(err, unix.EPERM):
		why = "a firewall rule in the node dropped it on its way out"
	case errors.Is(err, unix.EACCES):
		why = "a prohibit route"
	case errors.Is(err, unix.EINVAL):
		why = "a blackhole route (or no usable source address)"
	default:
		return err
	}
	return fmt.Errorf("%s: %s (%w)", node, why, err)
}
