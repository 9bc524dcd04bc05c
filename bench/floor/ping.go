package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/topo-lab/topo/bench/internal/genfile"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The ICMP floor: every host of a running lab sends one echo request
// to every address of every other host (the pairs `topo check LAB`
// probes), from a raw ICMP socket opened in its namespace, and counts
// the replies. No route lookups, no interfaces read, no explanations:
// only what the kernel itself requires of any prober.
//
// - At most -window requests of one source are outstanding at once: a
//   router's queue of packets waiting for ARP holds about a hundred,
//   and a burst of every source's requests through one router
//   overflows it (the kernel drops the oldest).
// - The kernel's neighbour table is shared by every namespace and
//   refuses entries beyond gc_thresh3 (1,024 by default), evicting
//   none younger than 5 s: all pairs of a 64-host LAN need 4,032. So
//   the pairs go in waves whose entries fit in 3/4 of the room left,
//   both directions between two hosts in one wave (they share their
//   entries), and the lab's hosts' neighbour entries are deleted
//   before the first wave when all would not fit, and between waves
//   (timed: any prober pays for it).
// - A request unanswered after -resend is sent again, once.

// debug ($FLOOR_DEBUG set) says which requests went unanswered.
var debug = os.Getenv("FLOOR_DEBUG") != ""

// PingResult is what floor -ping prints.
type PingResult struct {
	Pairs    int     `json:"pairs"`
	Answered int     `json:"answered"`
	Resent   int     `json:"resent"` // requests sent a second time
	Waves    int     `json:"waves"`
	PingS    float64 `json:"ping_s"` // first request to last reply, flushes between waves included
	OpenS    float64 `json:"open_s"` // opening sockets, before the clock starts
}

// pinger is one host of the lab: its raw socket and a route socket in
// its namespace.
type pinger struct {
	name string
	fd   int
	nl   *netlink.Handle
	id   uint16
	own  []netip.Prefix
}

// pair is one probe: from a pinger to an address of another host.
type pair struct {
	from   *pinger
	to     netip.Addr
	toNode string
}

// pingAll probes all pairs of the lab whose namespaces are
// nsPrefix+node (IPv4 addresses only: the bench's labs have no other).
func pingAll(path, nsPrefix string, window int, resend time.Duration) (res PingResult, err error) {
	lab, err := genfile.Load(path)
	if err != nil {
		return res, err
	}
	addrs := lab.Addrs()
	prefixes := lab.Prefixes()
	var ps []*pinger
	defer func() {
		for _, p := range ps {
			p.close()
		}
	}()
	t0 := time.Now()
	var pairs []pair
	for i, from := range lab.Hosts {
		p := &pinger{name: from, fd: -1, id: uint16(os.Getpid()) ^ uint16(i), own: prefixes[from]}
		if p.fd, p.nl, err = openIn(filepath.Join(netnsDir, nsPrefix+from)); err != nil {
			p.close()
			return res, fmt.Errorf("%s: %w", from, err)
		}
		ps = append(ps, p)
		for _, to := range lab.Hosts {
			if to == from {
				continue
			}
			for _, a := range addrs[to] {
				if a.Is4() {
					pairs = append(pairs, pair{p, a, to})
				}
			}
		}
	}
	res.OpenS = time.Since(t0).Seconds()
	res.Pairs = len(pairs)
	pairs = bothWaysTogether(pairs)

	start := time.Now()
	room, err := neighbourRoom()
	if err != nil {
		return res, err
	}
	if entries(pairs) > room*3/4 {
		// The lab's own entries from an earlier run would only crowd
		// the table: entries younger than 5 s are never evicted.
		flushAll(ps)
		if room, err = neighbourRoom(); err != nil {
			return res, err
		}
	}
	waves := splitWaves(pairs, room*3/4)
	res.Waves = len(waves)
	var answered, resent atomic.Int64
	for i, w := range waves {
		if i > 0 {
			flushAll(ps)
		}
		bySource := map[*pinger][]netip.Addr{}
		for _, p := range w {
			bySource[p.from] = append(bySource[p.from], p.to)
		}
		var wg sync.WaitGroup
		for p, targets := range bySource {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, r := p.probe(targets, window, resend)
				answered.Add(int64(a))
				resent.Add(int64(r))
			}()
		}
		wg.Wait()
	}
	res.PingS = time.Since(start).Seconds()
	res.Answered, res.Resent = int(answered.Load()), int(resent.Load())
	return res, nil
}

// probe sends echo requests to the targets, window at a time, and
// returns how many were answered and how many sent again.
func (p *pinger) probe(targets []netip.Addr, window int, resend time.Duration) (answered, resent int) {
	n := len(targets)
	sentAt := make([]time.Time, n)
	tries := make([]int, n)
	got := make([]bool, n)
	send := func(seq int) {
		sa := &unix.SockaddrInet4{Addr: targets[seq].As4()}
		unix.Sendto(p.fd, echo(p.id, uint16(seq)), 0, sa)
		sentAt[seq] = time.Now()
		tries[seq]++
	}
	next, open := 0, 0
	buf := make([]byte, 1500)
	for answered < n {
		for open < window && next < n {
			send(next)
			next++
			open++
		}
		now := time.Now()
		pending := false
		for seq := 0; seq < next; seq++ {
			if got[seq] || tries[seq] == 0 {
				continue
			}
			if now.Sub(sentAt[seq]) > resend {
				if tries[seq] == 1 {
					if debug {
						fmt.Fprintf(os.Stderr, "floor: %s -> %s unanswered after %s: sent again\n", p.name, targets[seq], resend)
					}
					resent++
					send(seq)
				} else {
					tries[seq] = 0 // given up: no longer outstanding
					open--
					continue
				}
			}
			pending = true
		}
		if !pending && next == n {
			break
		}
		m, _, err := unix.Recvfrom(p.fd, buf, 0)
		if err != nil {
			continue // the receive timeout: look at the clock again
		}
		seq, ok := echoReply(buf[:m], p.id)
		if !ok || seq >= n || got[seq] || tries[seq] == 0 {
			continue
		}
		got[seq] = true
		answered++
		open--
	}
	return answered, resent
}

// bothWaysTogether puts the two directions between two hosts next to
// each other, so that one wave probes both and they share the two
// neighbour entries they make.
func bothWaysTogether(pairs []pair) []pair {
	key := func(p pair) [2]string {
		if p.toNode < p.from.name {
			return [2]string{p.toNode, p.from.name}
		}
		return [2]string{p.from.name, p.toNode}
	}
	first := map[[2]string]int{}
	for i, p := range pairs {
		if _, ok := first[key(p)]; !ok {
			first[key(p)] = i
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return first[key(pairs[a])] < first[key(pairs[b])] })
	return pairs
}

// entryKeys are the neighbour entries a pair may make: on one subnet
// each end learns the other; routed, each end learns its gateway and
// the routers learn both ends (one key per end for all routers: these
// labs' routers share few subnets with each other).
func (p pair) entryKeys() [][2]string {
	for _, own := range p.from.own {
		if own.Masked().Contains(p.to) {
			return [][2]string{{p.from.name, p.to.String()}, {p.toNode, own.Addr().String()}}
		}
	}
	return [][2]string{{p.from.name, "gw"}, {p.toNode, "gw"}, {"routers", p.from.name}, {"routers", p.to.String()}}
}

func entries(pairs []pair) int {
	seen := map[[2]string]bool{}
	for _, p := range pairs {
		for _, k := range p.entryKeys() {
			seen[k] = true
		}
	}
	return len(seen)
}

// splitWaves cuts the pairs, in order, into waves that each make at
// most room neighbour entries.
func splitWaves(pairs []pair, room int) [][]pair {
	room = max(room, 32)
	var waves [][]pair
	start := 0
	seen := map[[2]string]bool{}
	for i, p := range pairs {
		var fresh [][2]string
		for _, k := range p.entryKeys() {
			if !seen[k] {
				fresh = append(fresh, k)
			}
		}
		if len(seen)+len(fresh) > room && i > start {
			waves = append(waves, pairs[start:i])
			start = i
			clear(seen)
		}
		for _, k := range p.entryKeys() {
			seen[k] = true
		}
	}
	return append(waves, pairs[start:])
}

// flushAll deletes the learned IPv4 neighbour entries of every host,
// in parallel.
func flushAll(ps []*pinger) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns, err := p.nl.NeighList(0, unix.AF_INET)
			if err != nil {
				return
			}
			for i := range ns {
				if ns[i].State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) == 0 {
					p.nl.NeighDel(&ns[i])
				}
			}
		}()
	}
	wg.Wait()
}

// neighbourRoom is gc_thresh3 less the ARP entries of every namespace.
func neighbourRoom() (int, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
	if err != nil {
		return 0, err
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, err
	}
	st, err := os.ReadFile("/proc/net/stat/arp_cache")
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(st), "\n")
	if len(lines) < 2 {
		return 0, fmt.Errorf("/proc/net/stat/arp_cache: no data line")
	}
	used, err := strconv.ParseInt(strings.Fields(lines[1])[0], 16, 64)
	if err != nil {
		return 0, err
	}
	return max - int(used), nil
}

func (p *pinger) close() {
	if p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
	if p.nl != nil {
		p.nl.Close()
		p.nl = nil
	}
}

// openIn opens a raw ICMP socket (20 ms receive timeout) and a route
// socket inside the namespace at path.
func openIn(path string) (int, *netlink.Handle, error) {
	nsfd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	defer unix.Close(nsfd)
	h, err := netlink.NewHandleAt(netns.NsHandle(nsfd))
	if err != nil {
		return -1, nil, fmt.Errorf("route socket: %w", err)
	}
	fd, err := rawICMPIn(nsfd)
	if err != nil {
		h.Close()
		return -1, nil, err
	}
	return fd, h, nil
}

// rawICMPIn opens the raw socket on a locked thread that enters the
// namespace and switches back before it is unlocked (or stays locked,
// and so is discarded by Go, if it cannot).
func rawICMPIn(nsfd int) (int, error) {
	type ret struct {
		fd  int
		err error
	}
	c := make(chan ret, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			c <- ret{-1, err}
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			c <- ret{-1, fmt.Errorf("setns: %w", err)}
			return
		}
		fd, sockErr := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		if sockErr == nil {
			tv := unix.Timeval{Usec: 20000}
			sockErr = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		}
		if sockErr == nil {
			// Echo replies only: a router's socket also gets every
			// request to its addresses, hundreds at once, which would
			// fill its receive buffer and crowd out the replies.
			sockErr = unix.SetsockoptInt(fd, unix.SOL_RAW, unix.ICMP_FILTER, ^(1 << 0))
		}
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			c <- ret{-1, errors.Join(fmt.Errorf("switch back: %w", err), sockErr)}
			return // the thread stays locked: Go discards it
		}
		runtime.UnlockOSThread()
		c <- ret{fd, sockErr}
	}()
	r := <-c
	return r.fd, r.err
}

// echo is an ICMP echo request with no payload.
func echo(id, seq uint16) []byte {
	b := make([]byte, 8)
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

// echoReply reads the sequence of an echo reply to id out of an IPv4
// packet as a raw socket hands it over.
func echoReply(pkt []byte, id uint16) (int, bool) {
	if len(pkt) < 20 {
		return 0, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	if len(pkt) < ihl+8 || pkt[ihl] != 0 || binary.BigEndian.Uint16(pkt[ihl+4:]) != id {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(pkt[ihl+6:])), true
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
