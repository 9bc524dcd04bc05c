package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// Watch follows the interfaces of a running lab for a live view (topo
// ui) at little cost. It opens one netlink socket in each node's
// namespace (verified as the lab's own), subscribed to its link events,
// and keeps every interface's state and counters from what the kernel
// sends on it: an event when an interface changes, and a dump when
// Counters asks for one. One goroutine waits on all the sockets at
// once (epoll); nothing is read while nothing happens.
//
// A socket keeps its namespace alive, so a Watch lets go of a lab by
// itself: it closes a node's socket as soon as the node's namespace is
// deleted (inotify on node.NetnsDir, set before any socket is opened),
// and ends, closing everything, when the lab's state file is removed
// (topo down) or replaced (topo up, topo link...: the caller reads the
// lab again and opens a new Watch). `topo down --wait` so never waits
// on a Watch. Done is closed when the Watch ends; Close ends it.
type Watch struct {
	lab     string
	epfd    int
	inotify int
	wake    int // an eventfd that ends the loop
	nsWatch int // the inotify watch of node.NetnsDir
	dirWd   int // the inotify watch of the lab's state directory

	mu      sync.Mutex
	socks   map[int]*watchSock    // by fd
	byNS    map[string]*watchSock // by namespace name
	pending int                   // dumps asked for and not yet done
	dumped  chan struct{}         // closed when pending drops to 0
	seq     uint32

	changed chan struct{} // an interface changed or a node went away
	// reconfigured: an address or route of a node was added or removed
	// (by hand, a daemon, or topo): what only a whole read shows.
	reconfigured chan struct{}
	done         chan struct{}
	why          error // why the watch ended, once done
	once         sync.Once
}

// watchSock is one node's socket and what it has said.
type watchSock struct {
	node, ns string
	fd       int
	links    map[int32]*watchLink // by interface index
	dumping  bool
}

type watchLink struct {
	name string
	c    Counters
}

// ErrLabChanged ends a Watch when the lab's state was written again
// (by topo up, topo link, topo impair): read the lab again.
var ErrLabChanged = errors.New("the lab's state changed")

// OpenWatch starts watching a running lab's interfaces. A node that
// cannot be opened is left out.
func OpenWatch(ctx context.Context, name string) (*Watch, error) {
	st, own, err := loadOwnership(name)
	if err != nil {
		return nil, err
	}
	w := &Watch{lab: name, epfd: -1, inotify: -1, wake: -1, socks: map[int]*watchSock{}, byNS: map[string]*watchSock{},
		changed: make(chan struct{}, 1), reconfigured: make(chan struct{}, 1), done: make(chan struct{})}
	if err := w.setup(); err != nil {
		w.closeFds()
		return nil, fmt.Errorf("watch lab %s: %w", name, err)
	}
	nodes := st.Lab.Nodes
	_ = parallel(ctx, len(nodes), func(i int) error {
		ns, err := own.openNode(nodes[i].Name)
		if err != nil {
			return nil
		}
		defer ns.Close() // the socket keeps the namespace alive, for as long as it is open
		var fd int
		err = node.Do(ns.Fd, func() error {
			var err error
			fd, err = linkSocket()
			return err
		})
		if err != nil {
			return nil
		}
		s := &watchSock{node: nodes[i].Name, ns: topology.Namespace(name, nodes[i].Name), fd: fd, links: map[int32]*watchLink{}}
		w.mu.Lock()
		w.socks[fd], w.byNS[s.ns] = s, s
		w.mu.Unlock()
		return unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
	})
	go w.loop()
	return w, nil
}

// setup makes the epoll set, the inotify watches (before any socket,
// so that no deletion is missed) and the eventfd that stops the loop.
func (w *Watch) setup() error {
	var err error
	if w.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if w.inotify, err = unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK); err != nil {
		return err
	}
	if w.nsWatch, err = unix.InotifyAddWatch(w.inotify, node.NetnsDir, unix.IN_DELETE|unix.IN_MOVED_FROM); err != nil {
		return fmt.Errorf("%s: %w", node.NetnsDir, err)
	}
	if w.dirWd, err = unix.InotifyAddWatch(w.inotify, Dir(w.lab), unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_DELETE_SELF); err != nil {
		return fmt.Errorf("%s: %w", Dir(w.lab), err)
	}
	if w.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return err
	}
	for _, fd := range []int{w.inotify, w.wake} {
		if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return err
		}
	}
	return nil
}

// watchedGroups are the route events a Watch hears: links, and the
// addresses and routes of both families.
const watchedGroups = 1<<(unix.RTNLGRP_LINK-1) |
	1<<(unix.RTNLGRP_IPV4_IFADDR-1) | 1<<(unix.RTNLGRP_IPV6_IFADDR-1) |
	1<<(unix.RTNLGRP_IPV4_ROUTE-1) | 1<<(unix.RTNLGRP_IPV6_ROUTE-1)

// linkSocket opens a route socket in the calling thread's namespace,
// subscribed to its link, address and route events.
func linkSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: watchedGroups}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Changed is signalled (one pending signal at most) when an interface
// of the lab changed state or went away, or a node's namespace was
// deleted.
func (w *Watch) Changed() <-chan struct{} { return w.changed }

// Reconfigured is signalled (one pending signal at most) when an
// address or a route of a node of the lab was added or removed: what
// drift a whole read of the lab would show.
func (w *Watch) Reconfigured() <-chan struct{} { return w.reconfigured }

// Done is closed when the watch has ended: Err says why.
func (w *Watch) Done() <-chan struct{} { return w.done }

// Err is why the watch ended: ErrLabChanged, ErrNoState (the lab went
// down), or nil after Close.
func (w *Watch) Err() error {
	select {
	case <-w.done:
		return w.why
	default:
		return nil
	}
}

// Close ends the watch and closes its sockets; it returns once they
// are closed.
func (w *Watch) Close() {
	w.end(nil)
	<-w.done
}

// end asks the loop to stop, with why as the reason.
func (w *Watch) end(why error) {
	w.once.Do(func() {
		w.mu.Lock()
		w.why = why
		w.mu.Unlock()
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(w.wake, one[:])
	})
}

func (w *Watch) signal() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// loop waits on every socket and inotify, until ended.
func (w *Watch) loop() {
	defer func() {
		w.closeFds()
		close(w.done)
	}()
	events := make([]unix.EpollEvent, 64)
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.EpollWait(w.epfd, events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			w.finish(fmt.Errorf("watch lab %s: epoll: %w", w.lab, err))
			return
		}
		// The sockets first, then inotify: the events of an interface
		// changed just before the lab's state was written are read
		// before the watch ends for that.
		notified := false
		for _, ev := range events[:n] {
			switch fd := int(ev.Fd); fd {
			case w.wake:
				return
			case w.inotify:
				notified = true
			default:
				w.readSocket(fd, buf)
			}
		}
		if notified && w.readInotify(buf) {
			return
		}
	}
}

// readInotify handles the deletions of namespaces and the changes of
// the lab's state; it reports whether the watch must end.
func (w *Watch) readInotify(buf []byte) bool {
	for {
		n, err := unix.Read(w.inotify, buf)
		if n <= 0 || err != nil {
			return false
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			raw := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+nameLen]
			off += unix.SizeofInotifyEvent + nameLen
			name := string(raw[:clen(raw)])
			switch {
			case int(wd) == w.nsWatch:
				w.mu.Lock()
				s := w.byNS[name]
				if s != nil {
					w.drop(s)
				}
				w.mu.Unlock()
				if s != nil {
					w.signal()
				}
			case int(wd) == w.dirWd && (mask&(unix.IN_DELETE_SELF|unix.IN_IGNORED) != 0 || name == stateFile && mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0):
				w.finish(fmt.Errorf("lab %s: %w", w.lab, ErrNoState))
				return true
			case int(wd) == w.dirWd && (name == stateFile || name == checkFile) && mask&(unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE) != 0:
				w.finish(fmt.Errorf("lab %s: %w", w.lab, ErrLabChanged))
				return true
			}
		}
	}
}

// finish records why the loop ends on its own.
func (w *Watch) finish(why error) {
	w.once.Do(func() {
		w.mu.Lock()
		w.why = why
		w.mu.Unlock()
	})
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// drop closes a node's socket, letting its namespace go. w.mu held.
func (w *Watch) drop(s *watchSock) {
	unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	unix.Close(s.fd)
	delete(w.socks, s.fd)
	delete(w.byNS, s.ns)
	if s.dumping {
		w.dumpDone(s)
	}
}

// dumpDone counts a dump as done. w.mu held.
func (w *Watch) dumpDone(s *watchSock) {
	s.dumping = false
	if w.pending--; w.pending == 0 && w.dumped != nil {
		close(w.dumped)
		w.dumped = nil
	}
}

// readSocket reads what a node's socket holds: link messages, from a
// dump or an event.
func (w *Watch) readSocket(fd int, buf []byte) {
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		w.mu.Lock()
		s := w.socks[fd]
		if s == nil {
			w.mu.Unlock()
			return
		}
		if errors.Is(err, unix.ENOBUFS) {
			// Events were lost: the state may be stale; say so, and the
			// caller's next dump reads it all again.
			w.mu.Unlock()
			w.signal()
			continue
		}
		if err != nil || n < unix.NLMSG_HDRLEN {
			w.mu.Unlock()
			return
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			w.mu.Unlock()
			return
		}
		changed, reconfigured := false, false
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				if s.dumping {
					w.dumpDone(s)
				}
			case unix.RTM_NEWLINK:
				changed = s.newLink(m.Data) || changed
			case unix.RTM_NEWSTATS:
				s.newStats(m.Data)
			case unix.RTM_NEWADDR, unix.RTM_DELADDR, unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
				reconfigured = true
			case unix.RTM_DELLINK:
				if len(m.Data) >= unix.SizeofIfInfomsg {
					delete(s.links, int32(binary.NativeEndian.Uint32(m.Data[4:8])))
					changed = true
				}
			}
		}
		w.mu.Unlock()
		if changed {
			w.signal()
		}
		if reconfigured {
			select {
			case w.reconfigured <- struct{}{}:
			default:
			}
		}
	}
}

// newLink records one RTM_NEWLINK message's interface: its name, state
// and counters. It reports whether the state changed (or the interface
// is new).
func (s *watchSock) newLink(data []byte) bool {
	if len(data) < unix.SizeofIfInfomsg {
		return false
	}
	index := int32(binary.NativeEndian.Uint32(data[4:8]))
	flags := binary.NativeEndian.Uint32(data[8:12])
	l := &watchLink{}
	oper := uint8(0)
	eachAttr(data[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFLA_IFNAME:
			l.name = string(v[:clen(v)])
		case unix.IFLA_OPERSTATE:
			if len(v) > 0 {
				oper = v[0]
			}
		case unix.IFLA_STATS64:
			l.c.stats64(v)
		}
	})
	l.c.State = operState(oper)
	if flags&unix.IFF_UP == 0 {
		l.c.State = "down"
	}
	prev := s.links[index]
	s.links[index] = l
	return prev == nil || prev.c.State != l.c.State || prev.name != l.name
}

// newStats records the counters of one RTM_NEWSTATS message (struct
// if_stats_msg, then IFLA_STATS_LINK_64) for an interface already
// known.
func (s *watchSock) newStats(data []byte) {
	const sizeofIfStatsMsg = 12
	if len(data) < sizeofIfStatsMsg {
		return
	}
	l := s.links[int32(binary.NativeEndian.Uint32(data[4:8]))]
	if l == nil {
		return
	}
	eachAttr(data[sizeofIfStatsMsg:], func(typ uint16, v []byte) {
		if typ == unix.IFLA_STATS_LINK_64 {
			l.c.stats64(v)
		}
	})
}

// stats64 reads a struct rtnl_link_stats64: rx_packets, tx_packets,
// rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped, ...
func (c *Counters) stats64(v []byte) {
	if len(v) < 8*8 {
		return
	}
	u := func(i int) uint64 { return binary.NativeEndian.Uint64(v[8*i:]) }
	c.RxPackets, c.TxPackets, c.RxBytes, c.TxBytes = u(0), u(1), u(2), u(3)
	c.RxDropped, c.TxDropped = u(6), u(7)
}

// eachAttr calls fn with each route attribute of b (type without the
// nested and byte-order flags, value).
func eachAttr(b []byte, fn func(typ uint16, v []byte)) {
	for len(b) >= unix.SizeofRtAttr {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < unix.SizeofRtAttr || l > len(b) {
			return
		}
		fn(binary.NativeEndian.Uint16(b[2:4])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER), b[unix.SizeofRtAttr:l])
		b = b[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(b)):]
	}
}

// operState names IFLA_OPERSTATE (RFC 2863) as netlink.LinkOperState
// does, so that states read here and by topo status are the same words.
func operState(v uint8) string {
	names := []string{"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}
	if int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}

// Counters asks the nodes for a dump of their interfaces (one request
// per node, answered on its socket) and returns every interface's
// counters and state but lo's, keyed by "node:iface", once all have
// answered (or after a second, with what is known). Only the nodes in
// only are asked (all when nil): a view that draws some links only
// needs their ends' counters, and the states of all are kept by events.
func (w *Watch) Counters(ctx context.Context, only map[string]bool) (map[string]Counters, error) {
	w.mu.Lock()
	select {
	case <-w.done:
		w.mu.Unlock()
		return nil, w.Err()
	default:
	}
	if w.dumped == nil {
		w.dumped = make(chan struct{})
	}
	dumped := w.dumped
	for fd, s := range w.socks {
		if s.dumping || only != nil && !only[s.node] && len(s.links) > 0 {
			continue
		}
		w.seq++
		if unix.Sendto(fd, dumpRequest(len(s.links) > 0, w.seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}) == nil {
			s.dumping = true
			w.pending++
		}
	}
	if w.pending == 0 {
		close(w.dumped)
		w.dumped = nil
	}
	w.mu.Unlock()
	select {
	case <-dumped:
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Second):
	}
	return w.Snapshot(), nil
}

// dumpRequest asks for every interface of the socket's namespace: all
// of each (RTM_GETLINK) the first time, then only their 64-bit
// counters (RTM_GETSTATS, IFLA_STATS_LINK_64), which costs the kernel
// far less; events keep names and states.
func dumpRequest(statsOnly bool, seq uint32) []byte {
	typ, body := uint16(unix.RTM_GETLINK), make([]byte, unix.SizeofIfInfomsg)
	if statsOnly {
		// struct if_stats_msg: family, pad, pad, ifindex, filter_mask.
		typ, body = unix.RTM_GETSTATS, make([]byte, 12)
		binary.NativeEndian.PutUint32(body[8:], 1<<(unix.IFLA_STATS_LINK_64-1))
	}
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	req = append(req, body...)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], seq)
	return req
}

// Snapshot is what the watch knows now of every interface (but lo),
// keyed by "node:iface", without asking the kernel: the states are
// current (events keep them), the counters as of the last dump or
// event.
func (w *Watch) Snapshot() map[string]Counters {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]Counters{}
	for _, s := range w.socks {
		for _, l := range s.links {
			if l.name != "lo" && l.name != "" {
				out[s.node+":"+l.name] = l.c
			}
		}
	}
	return out
}

// Nodes is how many nodes the watch has a socket in.
func (w *Watch) Nodes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.socks)
}

// closeFds closes every socket and the watch's own descriptors. What
// the sockets said is kept, for a last Snapshot.
func (w *Watch) closeFds() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.socks {
		unix.Close(s.fd)
		if s.dumping {
			w.dumpDone(s)
		}
	}
	for _, fd := range []*int{&w.epfd, &w.inotify, &w.wake} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}
