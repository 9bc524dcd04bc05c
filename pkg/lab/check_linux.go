package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// ExpectResult is the verdict on one expectation of a lab file.
type ExpectResult struct {
	Expect *topology.Expectation `json:"expect"`
	// Result is the probe of the pair. Its Reached says the probe got
	// through to what it was for: an echo reply, the last hop of a
	// path, a listener's answer on the port (right or wrong: a TCP RST
	// or ICMP unreachable is not one), a packet of an MTU search.
	Result probe.Result `json:"result"`
	// Holds is whether the network behaved as expected.
	Holds bool `json:"holds"`
	// Why explains the verdict in a few words.
	Why string `json:"why"`
	// Detail, for a failure, says it step by step: a path hop by hop,
	// the sizes an MTU search tried.
	Detail []string `json:"detail,omitempty"`
	// Hops holds a path check's answers, one per TTL from 1.
	Hops []probe.Result `json:"hops,omitempty"`
	// Conn is how a tcp: or udp: check's connection went.
	Conn *probe.Conn `json:"conn,omitempty"`
	// MTU is what an mtu: check found.
	MTU *probe.PathMTU `json:"mtu,omitempty"`
}

// Hosts lists the lab's host names in file order.
func Hosts(l *topology.Lab) []string {
	var out []string
	for _, n := range l.Nodes {
		if n.Kind == topology.KindHost {
			out = append(out, n.Name)
		}
	}
	return out
}

// AllPairs lists every host to every address of every other host; in
// a site's part, from the site's hosts to those and to every node of
// the other sites with an address.
func AllPairs(l *topology.Lab) []probe.Pair {
	hosts := Hosts(l)
	addrs := l.AddressesByNode()
	targets := append([]string(nil), hosts...)
	if l.Site != "" {
		var far []string
		for n := range addrs {
			if !l.IsLocal(n) {
				far = append(far, n)
			}
		}
		sort.Strings(far)
		targets = append(targets, far...)
	}
	var pairs []probe.Pair
	for _, from := range hosts {
		for _, to := range targets {
			if to == from {
				continue
			}
			for _, p := range addrs[to] {
				pairs = append(pairs, probe.Pair{From: from, To: p.Addr(), ToNode: to})
			}
		}
	}
	return pairs
}

// CheckPairs probes the pairs from inside the lab l's namespaces, in
// parallel, and explains each failure (see explainWith). The kernel's
// neighbour table is shared by every namespace and refuses new entries
// when full (1024 by default), which would turn into false "arp"
// failures; so when the pairs would need more entries than it has room
// for, they are probed in waves, and the lab's hosts' learned neighbour
// entries are flushed between waves. Only the hosts the pairs involve
// are read and flushed (see involved), so checking a sample of a big
// lab costs what the sample does. The lab must be up; a host of the
// pairs whose namespace is not the one topo made (see
// ownership.verify) fails the whole check before anything is sent.
// Needs root; any goroutine.
func CheckPairs(ctx context.Context, l *topology.Lab, pairs []probe.Pair, opts probe.ProberOptions) ([]probe.Result, error) {
	_, own, err := loadOwnership(l.Name)
	if err != nil {
		return nil, err
	}
	hs := newHandles(own)
	defer hs.close()
	hosts := involved(l, pairs)
	// A host that is missing fails its own pairs; one that is not the
	// lab's own is never entered.
	err = parallel(ctx, len(hosts), func(i int) error {
		_, release, err := hs.use(hosts[i])
		if errors.Is(err, ErrNotOwned) {
			return err
		}
		if err == nil {
			release()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	opts.SnapshotRoutes = true // the pairs are probed in one go
	if opts.NameOf == nil {
		opts.NameOf = NodeOfAddress(l)
	}
	if opts.MACOf == nil {
		opts.MACOf = macsOf(hs, NodeOfAddress(l))
	}
	openProber := func(from string) (probe.Source, error) {
		ns, release, err := hs.use(from)
		if err != nil {
			return nil, fmt.Errorf("probe from %s: %w", from, err)
		}
		return heldSource{probe.NewProber(ns, opts), release}, nil
	}
	family := pairsFamily(pairs)
	flush := func() {
		// Flush errors only cost room in the table; the probes
		// themselves report what they see.
		_ = parallel(ctx, len(hosts), func(i int) error {
			ns, release, err := hs.use(hosts[i])
			if err != nil {
				return err
			}
			defer release()
			return node.FlushNeighbours(ns, family)
		})
	}
	room := neighbourRoom(pairs) * 3 / 4
	order := waveOrder(pairs)
	sorted := make([]probe.Pair, len(pairs))
	for k, i := range order {
		sorted[k] = pairs[i]
	}
	if neighbourCost(l, sorted) > room {
		// Entries younger than 5 s cannot be evicted, and those the
		// lab's hosts hold are most likely from an earlier check.
		flush()
		room = neighbourRoom(pairs) * 3 / 4
	}
	waves := splitWaves(l, sorted, room)
	// Every source of a wave at once (a wave waits for its slowest
	// source), as many as the open-file limit allows: a source holds
	// its namespace's handle and sockets (proberFiles).
	copts := probe.CheckOptions{Sources: max(4, min(len(hosts), 1024, openFileLimit()/2/proberFiles))}
	copts = paceFloods(l, pairs, copts, floodBudget(opts.Timeout))
	// With several waves, one Prober per host for all of them, on the
	// handle and the reading above, when they fit in that limit; else
	// each wave opens its own and closes it when done.
	open := probe.Opener(openProber)
	if len(waves) > 1 && len(hosts) <= copts.Sources {
		var closeAll func() error
		open, closeAll = probe.SharedOpener(openProber)
		defer closeAll()
	}
	fullsBefore := tableFulls()
	done := make([]probe.Result, 0, len(pairs))
	for i, w := range waves {
		if i > 0 {
			flush()
		}
		done = append(done, probe.Check(ctx, open, w, copts)...)
	}
	results := make([]probe.Result, len(pairs))
	for k, i := range order {
		results[i] = done[k]
	}
	explainWith(ctx, l, hs, results, fullsBefore.since(tableFulls()))
	return results, nil
}

// tableFulls reads how often the kernel's neighbour tables have been
// full so far (see node.NeighbourTableFulls); zero where unreadable.
func tableFulls() tableFull {
	var t tableFull
	t.refused4, _ = node.NeighbourTableFulls(unix.AF_INET)
	t.refused6, _ = node.NeighbourTableFulls(unix.AF_INET6)
	t.max4, _ = node.NeighbourTableMax(unix.AF_INET)
	t.max6, _ = node.NeighbourTableMax(unix.AF_INET6)
	return t
}

// involved lists, in file order, the hosts that probing pairs touches:
// their sources, the nodes owning their targets (by ToNode, or by
// address), and every router (a host that forwards), which learns
// neighbour entries for routed pairs. Pure.
func involved(l *topology.Lab, pairs []probe.Pair) []string {
	byAddr := NodeOfAddress(l)
	in := map[string]bool{}
	for _, p := range pairs {
		in[p.From] = true
		if p.ToNode != "" {
			in[p.ToNode] = true
		} else if n := byAddr(p.To); n != "" {
			in[n] = true
		}
	}
	var out []string
	for _, n := range l.Nodes {
		if n.Kind == topology.KindHost && (in[n.Name] || n.Forward) {
			out = append(out, n.Name)
		}
	}
	return out
}

// proberFiles is about how many descriptors one source of a check
// holds: its namespace's handle (fdsPerHandle), the raw ICMP socket and
// the packet sockets of topo's own ARP when a failure is explained.
const proberFiles = 8

// heldSource is a Prober that holds its namespace's handle until it is
// closed.
type heldSource struct {
	*probe.Prober
	release func()
}

func (s heldSource) Close() error {
	defer s.release()
	return s.Prober.Close()
}

// macsOf returns the hardware address each address of the lab's hosts
// lives at (so that explaining a silent next hop asks it directly
// instead of broadcasting to the whole LAN), reading the links and
// addresses of the node that owns the address (nodeOf) the first time
// one of its addresses is asked for: only failures ask, so a check
// whose pairs all answer reads nothing. nil when the node cannot be
// read (the request is then broadcast). Any goroutine.
func macsOf(hs *handles, nodeOf func(netip.Addr) string) func(netip.Addr) net.HardwareAddr {
	var mu sync.Mutex
	read := map[string]*nodeMACs{}
	return func(a netip.Addr) net.HardwareAddr {
		name := nodeOf(a)
		if name == "" {
			return nil
		}
		mu.Lock()
		n := read[name]
		if n == nil {
			n = &nodeMACs{}
			read[name] = n
		}
		mu.Unlock()
		n.once.Do(func() { n.macs = readMACs(hs, name) })
		return n.macs[a.Unmap()]
	}
}

// nodeMACs is one node's addresses and the hardware addresses of the
// interfaces holding them, read once.
type nodeMACs struct {
	once sync.Once
	macs map[netip.Addr]net.HardwareAddr
}

// readMACs reads which hardware address each of a node's addresses
// lives at; nil when the node cannot be read.
func readMACs(hs *handles, name string) map[netip.Addr]net.HardwareAddr {
	ns, release, err := hs.use(name)
	if err != nil {
		return nil
	}
	defer release()
	ifs, err := probe.ReadInterfaces(ns)
	if err != nil {
		return nil
	}
	mac := map[int]net.HardwareAddr{}
	for _, l := range ifs.Links {
		mac[l.Attrs().Index] = l.Attrs().HardwareAddr
	}
	out := map[netip.Addr]net.HardwareAddr{}
	for _, a := range ifs.Addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if ok && len(mac[a.LinkIndex]) > 0 {
			out[ip.Unmap()] = mac[a.LinkIndex]
		}
	}
	return out
}

// pairsFamily is the address family of all the pairs' targets, or
// unix.AF_UNSPEC when they mix both.
func pairsFamily(pairs []probe.Pair) int {
	var v4, v6 bool
	for _, p := range pairs {
		v4, v6 = v4 || p.To.Is4(), v6 || p.To.Is6()
	}
	switch {
	case v4 && !v6:
		return unix.AF_INET
	case v6 && !v4:
		return unix.AF_INET6
	}
	return unix.AF_UNSPEC
}

// neighbourRoom is the room left in the neighbour tables of the
// families the pairs use.
func neighbourRoom(pairs []probe.Pair) int {
	var v4, v6 bool
	for _, p := range pairs {
		v4, v6 = v4 || p.To.Is4(), v6 || p.To.Is6()
	}
	room := -1
	for _, f := range []struct {
		used   bool
		family int
	}{{v4, unix.AF_INET}, {v6, unix.AF_INET6}} {
		if !f.used {
			continue
		}
		r, err := node.NeighbourRoom(f.family)
		if err != nil {
			r = 1024 // the kernel's default
		}
		if room < 0 || r < room {
			room = r
		}
	}
	return room
}

// CheckExpectations probes each expectation of l (a lab that is up) and
// says whether it holds. Echo expectations are probed together (see
// CheckPairs), those that want an answer up to three times (see
// checkReachable); paths, ports and MTUs each from their source's
// namespace, all at once. An expectation naming a node the lab lacks
// fails with "no node X".
func CheckExpectations(ctx context.Context, l *topology.Lab, opts probe.ProberOptions) ([]ExpectResult, error) {
	return checkExpect(ctx, l, l.Expect, opts)
}

func checkExpect(ctx context.Context, l *topology.Lab, expect []*topology.Expectation, opts probe.ProberOptions) ([]ExpectResult, error) {
	out := make([]ExpectResult, len(expect))
	nodes := l.NodesByName()
	if opts.NameOf == nil {
		opts.NameOf = NodeOfAddress(l)
	}
	held := heldTargets(l, expect)
	if len(held) > 0 {
		// The addresses clients hold are named too.
		owner := map[netip.Addr]string{}
		for name, h := range held {
			if h.err == nil {
				owner[h.addr] = name
			}
		}
		base := opts.NameOf
		opts.NameOf = func(a netip.Addr) string {
			if n := base(a); n != "" {
				return n
			}
			return owner[a.Unmap()]
		}
	}
	var pairs []probe.Pair
	var echo, other []int
	for i, e := range expect {
		if why := missingNode(l, nodes, e); why != "" {
			out[i] = ExpectResult{Expect: e, Why: why}
			continue
		}
		if e.Kind() != topology.ExpectReach {
			other = append(other, i)
			continue
		}
		p, err := target(l, e, held)
		if err != nil {
			out[i] = ExpectResult{Expect: e, Why: err.Error()}
			continue
		}
		pairs = append(pairs, p)
		echo = append(echo, i)
	}
	if len(pairs) > 0 {
		results, err := checkReachable(ctx, l, pairs, reachWanted(expect, echo), opts)
		if err != nil {
			return nil, err
		}
		for k, r := range results {
			out[echo[k]] = judge(expect[echo[k]], r)
		}
	}
	if len(other) > 0 {
		_, own, err := loadOwnership(l.Name)
		if err != nil {
			return nil, err
		}
		hs := newHandles(own)
		defer hs.close()
		// Sources at once, each one's expectations one after the
		// other: the ICMP errors they draw from a router to one host
		// are rate-limited (see probe.Trace).
		bySource := map[string][]int{}
		var sources []string
		for _, i := range other {
			f := expect[i].From
			if bySource[f] == nil {
				sources = append(sources, f)
			}
			bySource[f] = append(bySource[f], i)
		}
		_ = parallel(ctx, len(sources), func(k int) error {
			for _, i := range bySource[sources[k]] {
				out[i] = checkOther(ctx, l, hs, expect[i], held, opts)
			}
			return nil
		})
	}
	return out, nil
}

// judge compares one probe result with its expectation.
func judge(e *topology.Expectation, r probe.Result) ExpectResult {
	x := ExpectResult{Expect: e, Result: r}
	switch {
	case e.Reach && !r.Reached:
		x.Why = "not reached: " + reasonText(r)
	case e.Reach && e.TTL != 0 && r.TTL != e.TTL:
		x.Why = fmt.Sprintf("reached, but the reply's ttl is %d, not %d", r.TTL, e.TTL)
	case e.Reach:
		x.Holds, x.Why = true, fmt.Sprintf("reached, ttl %d, %.3f ms", r.TTL, float64(r.RTT.Microseconds())/1000)
	case r.Reached:
		x.Why = fmt.Sprintf("reached (ttl %d), but must not be", r.TTL)
	default:
		x.Holds, x.Why = true, "not reached, as expected ("+reasonText(r)+")"
	}
	return x
}

// reasonText says why a pair failed, for people: the explanation of
// its path when there is one, else the probe's reason.
func reasonText(r probe.Result) string {
	if r.Why != "" {
		return r.Why
	}
	switch r.Reason {
	case probe.ReasonNoRoute:
		return "no route"
	case probe.ReasonARP:
		return fmt.Sprintf("no ARP/NDP answer from next hop %s on %s", r.NextHop, r.Iface)
	case probe.ReasonICMP:
		return fmt.Sprintf("next hop %s answered ARP, but no echo reply came", r.NextHop)
	}
	if r.Error != "" {
		return r.Error
	}
	return string(r.Reason)
}
