package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// stackSocket is a raw ICMP (or ICMPv6) socket opened inside a node's
// namespace. An echo request written to it goes through the node's own
// stack, as the host's ping's does: its routing table and rules pick
// the route and the source, its neighbour table (wrong static entries
// included) the next hop's MAC, and its firewall sees the packet. One
// goroutine reads the socket and hands each echo reply, and each ICMP
// error quoting one of our requests, to the request waiting for it
// (one echo, or a batch of them: see Prober.ProbeAll).
type stackSocket struct {
	f    *os.File
	rc   syscall.RawConn
	v6   bool
	name string

	mu      sync.Mutex
	waiters map[echoKey]func(stackAnswer)
	err     error
	done    chan struct{}
}

// stackAnswer is what came back for one request.
type stackAnswer struct {
	msg stackMsg
	at  time.Time
}

// openStackSocket opens the socket inside ns, keeping only the ICMP
// types an echo can get back (replies and errors), with ttl as the
// requests' TTL or hop limit, and, with df, the requests never
// fragmented (see ProberOptions.DontFragment).
func openStackSocket(ns *node.Namespace, v6 bool, ttl uint8, df bool) (*stackSocket, error) {
	fam, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if v6 {
		fam, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd := -1
	err := ns.Do(func() error {
		s, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
		fd = s
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: open raw icmp socket: %w", ns.Name, err)
	}
	fail := func(step string, err error) (*stackSocket, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %s: %w", ns.Name, step, err)
	}
	if v6 {
		var f unix.ICMPv6Filter
		for i := range f.Data {
			f.Data[i] = 0xffffffff // block all...
		}
		for _, t := range []int{1, 2, 3, 4, 129} { // ...but errors and echo replies
			f.Data[t>>5] &^= 1 << (uint(t) & 31)
		}
		if err := unix.SetsockoptICMPv6Filter(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, &f); err != nil {
			return fail("set icmpv6 filter", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1); err != nil {
			return fail("ask for hop limits", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, int(ttl)); err != nil {
			return fail("set hop limit", err)
		}
		if df {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_PROBE); err != nil {
				return fail("set path MTU discovery", err)
			}
		}
	} else {
		// ICMP_FILTER: a set bit drops that type.
		keep := uint32(1<<0 | 1<<3 | 1<<4 | 1<<11 | 1<<12)
		if err := unix.SetsockoptInt(fd, unix.SOL_RAW, unix.ICMP_FILTER, int(^keep)); err != nil {
			return fail("set icmp filter", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, int(ttl)); err != nil {
			return fail("set ttl", err)
		}
		if df {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE); err != nil {
				return fail("set path MTU discovery", err)
			}
		}
	}
	// Hundreds of replies may arrive in one burst during a check.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	f := os.NewFile(uintptr(fd), "icmp:"+ns.Name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: raw icmp socket: %w", ns.Name, err)
	}
	s := &stackSocket{f: f, rc: rc, v6: v6, name: ns.Name, waiters: map[echoKey]func(stackAnswer){}, done: make(chan struct{})}
	go s.readLoop()
	return s, nil
}

// close closes the socket and waits for its reader.
func (s *stackSocket) close() error {
	err := s.f.Close()
	<-s.done
	return err
}

func (s *stackSocket) readLoop() {
	defer close(s.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 128)
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := s.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
			return rerr != unix.EAGAIN
		})
		if err != nil { // closed
			s.stop(errClosed)
			return
		}
		if rerr != nil {
			continue // ENOBUFS and the like: the next read goes on
		}
		at := time.Now()
		var m stackMsg
		var ok bool
		if s.v6 {
			sa, isV6 := from.(*unix.SockaddrInet6)
			if !isV6 {
				continue
			}
			m, ok = parseStack6(buf[:n], netip.AddrFrom16(sa.Addr), hopLimit(oob[:oobn]))
		} else {
			m, ok = parseStack4(buf[:n])
		}
		if ok {
			s.dispatch(m, at)
		}
	}
}

// hopLimit reads the IPV6_HOPLIMIT control message; -1 when absent.
func hopLimit(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1
	}
	for _, m := range msgs {
		if m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT && len(m.Data) >= 4 {
			return int(int32(binary.NativeEndian.Uint32(m.Data)))
		}
	}
	return -1
}

func (s *stackSocket) stop(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// dispatch hands m to the request it answers, copying what outlives
// the read buffer.
func (s *stackSocket) dispatch(m stackMsg, at time.Time) {
	s.mu.Lock()
	put := s.waiters[echoKey{m.id, m.seq}]
	s.mu.Unlock()
	if put == nil {
		return
	}
	m.payload = append([]byte(nil), m.payload...)
	put(stackAnswer{msg: m, at: at})
}

// wait registers put to receive the answers to request k; it must not
// block. It fails when the socket is closed or k is already waited for.
func (s *stackSocket) wait(k echoKey, put func(stackAnswer)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.waiters[k] != nil {
		return fmt.Errorf("echo id %d seq %d already in flight in %s", k.id, k.seq, s.name)
	}
	s.waiters[k] = put
	return nil
}

// unwait ends the wait for request k.
func (s *stackSocket) unwait(k echoKey) {
	s.mu.Lock()
	delete(s.waiters, k)
	s.mu.Unlock()
}

// sendTo sends an echo request message to dst; errno errors are
// errStackSend but ENOBUFS, returned as is (nothing left: try again).
func (s *stackSocket) sendTo(msg []byte, dst netip.Addr) error {
	var sa unix.Sockaddr
	if s.v6 {
		sa = &unix.SockaddrInet6{Addr: dst.As16()}
	} else {
		sa = &unix.SockaddrInet4{Addr: dst.As4()}
	}
	err := s.send(msg, sa)
	var errno unix.Errno
	if err != nil && errors.As(err, &errno) && errno != unix.ENOBUFS {
		return errStackSend{errno}
	}
	return err
}

// errStackSend is a request the node's stack refused to send; Errno
// tells why (no route, blackhole, prohibit, its own firewall).
type errStackSend struct{ errno unix.Errno }

func (e errStackSend) Error() string { return "sendto: " + e.errno.Error() }
func (e errStackSend) Unwrap() error { return e.errno }

// echo sends one echo request to dst through the node's stack and
// waits until ctx ends for the reply carrying id, seq and payload, or
// an ICMP error quoting the request. It returns the matched answer;
// a refused send is an errStackSend; no answer is ctx's error.
func (s *stackSocket) echo(ctx context.Context, dst netip.Addr, id, seq uint16, payload []byte) (stackMsg, time.Duration, error) {
	k := echoKey{id, seq}
	ch := make(chan stackAnswer, 4)
	err := s.wait(k, func(a stackAnswer) {
		select {
		case ch <- a:
		default:
		}
	})
	if err != nil {
		return stackMsg{}, 0, err
	}
	defer s.unwait(k)
	msg := echoMessage(s.v6, id, seq, payload)
	sent := time.Now()
	for {
		err := s.sendTo(msg, dst)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.ENOBUFS) {
			return stackMsg{}, 0, err
		}
		// No queue room: the request never left; try again shortly.
		t := time.NewTimer(sendRetry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return stackMsg{}, 0, fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
	}
	for {
		select {
		case a := <-ch:
			m := a.msg
			if !answers(m, dst, payload) {
				continue
			}
			return m, a.at.Sub(sent), nil
		case <-s.done:
			return stackMsg{}, 0, errClosed
		case <-ctx.Done():
			return stackMsg{}, 0, ctx.Err()
		}
	}
}

// answers reports whether m answers our request to dst with payload:
// a reply carrying the payload (not another prober's echo with our id
// and seq), or an ICMP error quoting a request to dst.
func answers(m stackMsg, dst netip.Addr, payload []byte) bool {
	if m.reply {
		return equalBytes(payload, m.payload)
	}
	return m.dst == dst
}

func (s *stackSocket) send(msg []byte, sa unix.Sockaddr) error {
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, sa)
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}
