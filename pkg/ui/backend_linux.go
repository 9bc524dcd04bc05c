package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/capture"
	"github.com/topo-lab/topo/pkg/graph"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
)

// Kernel is the Backend of a real machine: it reads and changes labs
// through pkg/lab, the code of the CLI's status, link, impair, check and
// capture. Needs root.
type Kernel struct {
	// Expand draws every host of a large lab.
	Expand bool
}

// Labs implements Backend.
func (Kernel) Labs() ([]string, error) { return lab.Labs() }

// Picture implements Backend.
func (k Kernel) Picture(ctx context.Context, name string) (*graph.Graph, error) {
	g, _, err := lab.Picture(ctx, name, graph.Options{Expect: true, Expand: k.Expand})
	return g, err
}

// Counters implements Backend: one link dump per node (lab.ReadCounters).
func (Kernel) Counters(ctx context.Context, name string) (map[string]Counter, error) {
	cs, err := lab.ReadCounters(ctx, name)
	if err != nil {
		return nil, err
	}
	return counters(cs), nil
}

// Watch implements Watcher with lab.Watch: one netlink socket per node,
// subscribed to its link events, let go of as soon as the node's
// namespace is deleted.
func (Kernel) Watch(ctx context.Context, name string) (LabWatch, error) {
	w, err := lab.OpenWatch(ctx, name)
	if err != nil {
		return nil, err
	}
	return kernelWatch{w}, nil
}

type kernelWatch struct{ *lab.Watch }

func (k kernelWatch) Counters(ctx context.Context, nodes map[string]bool) (map[string]Counter, error) {
	cs, err := k.Watch.Counters(ctx, nodes)
	if err != nil {
		return nil, err
	}
	return counters(cs), nil
}

func (k kernelWatch) Snapshot() map[string]Counter { return counters(k.Watch.Snapshot()) }

func counters(cs map[string]lab.Counters) map[string]Counter {
	out := make(map[string]Counter, len(cs))
	for k, c := range cs {
		out[k] = Counter{RxPackets: c.RxPackets, TxPackets: c.TxPackets, RxBytes: c.RxBytes, TxBytes: c.TxBytes, RxDropped: c.RxDropped, TxDropped: c.TxDropped, State: c.State}
	}
	return out
}

// Node implements Backend: the node's part of topo status, its
// neighbour table and the processes in its namespace.
func (Kernel) Node(ctx context.Context, name, nodeName string) (*NodeInfo, error) {
	s, err := lab.Status(ctx, name)
	if err != nil {
		return nil, err
	}
	var ns *lab.NodeStatus
	for _, n := range s.Nodes {
		if n.Name == nodeName {
			ns = n
		}
	}
	if ns == nil {
		return nil, fmt.Errorf("lab %s has no node %q", name, nodeName)
	}
	info := &NodeInfo{Name: ns.Name, Kind: ns.Kind, Namespace: ns.Namespace, Routes: ns.Routes}
	for _, i := range ns.Ifaces {
		info.Interfaces = append(info.Interfaces, IfaceInfo{Name: i.Name, State: i.State, Port: i.Port, MAC: i.MAC, MTU: i.MTU, Addresses: i.Addresses, Peer: i.Peer, Impair: i.Impair})
	}
	if !ns.Present {
		return info, nil
	}
	_, h, err := lab.OpenNode(name, nodeName)
	if err != nil {
		return info, nil
	}
	defer h.Close()
	if neigh, err := h.NL.NeighList(0, netlink.FAMILY_ALL); err == nil {
		byIndex := map[int]string{}
		if links, err := h.NL.LinkList(); err == nil {
			for _, lk := range links {
				byIndex[lk.Attrs().Index] = lk.Attrs().Name
			}
		}
		for _, n := range neigh {
			if n.IP == nil || n.IP.IsLinkLocalMulticast() || n.IP.IsMulticast() {
				continue
			}
			line := n.IP.String() + " dev " + byIndex[n.LinkIndex]
			if len(n.HardwareAddr) > 0 {
				line += " lladdr " + n.HardwareAddr.String()
			}
			line += " " + (node.NeighState(n.State))
			info.Neighbours = append(info.Neighbours, line)
		}
		sort.Strings(info.Neighbours)
	}
	info.Processes = processesIn(h.Inode)
	return info, nil
}

// processesIn lists the processes whose network namespace has the
// inode: "PID command line".
func processesIn(inode uint64) []string {
	dirs, _ := os.ReadDir("/proc")
	var out []string
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		var st os.FileInfo
		if st, err = os.Stat(filepath.Join("/proc", d.Name(), "ns", "net")); err != nil {
			continue
		}
		if ino, ok := inodeOf(st); !ok || ino != inode {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		line := strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		out = append(out, strconv.Itoa(pid)+" "+line)
	}
	return out
}

// SetLink implements Backend.
func (Kernel) SetLink(ctx context.Context, name, endpoint string, up bool) error {
	_, _, err := lab.SetLinkState(ctx, name, endpoint, up, lab.Options{})
	return err
}

// SetImpair implements Backend.
func (Kernel) SetImpair(ctx context.Context, name, endpoint string, r ImpairRequest) error {
	m, err := parseImpair(r)
	if err != nil {
		return err
	}
	_, err = lab.SetImpair(ctx, name, endpoint, m, lab.Options{})
	return err
}

// parseImpair reads the impairment form, each field in the file's words.
func parseImpair(r ImpairRequest) (*topology.Impairment, error) {
	m := &topology.Impairment{}
	var err error
	if r.Rate != "" {
		if m.Rate, err = topology.ParseRate(r.Rate); err != nil {
			return nil, fmt.Errorf("rate: %w", err)
		}
	}
	if r.Delay != "" {
		if m.Delay, err = topology.ParseDelay(r.Delay); err != nil {
			return nil, fmt.Errorf("delay: %w", err)
		}
	}
	if r.Jitter != "" {
		if m.Jitter, err = topology.ParseDelay(r.Jitter); err != nil {
			return nil, fmt.Errorf("jitter: %w", err)
		}
	}
	if r.Loss != "" {
		if m.Loss, err = topology.ParsePercent(r.Loss); err != nil {
			return nil, fmt.Errorf("loss: %w", err)
		}
	}
	if m.IsZero() {
		return nil, nil
	}
	return m, nil
}

// Check implements Backend: what `topo check LAB` does, stored for the
// picture.
func (Kernel) Check(ctx context.Context, name string) (int, int, error) {
	l, err := lab.Applied(name)
	if err != nil {
		return 0, 0, err
	}
	var last *lab.LastCheck
	if len(l.Expect) > 0 {
		res, err := lab.CheckExpectations(ctx, l, probe.ProberOptions{Timeout: time.Second})
		if err != nil {
			return 0, 0, err
		}
		last = lab.ExpectationsCheck(res)
	} else {
		pairs := lab.AllPairs(l)
		if len(pairs) == 0 {
			return 0, 0, fmt.Errorf("lab %s has no pair of hosts with addresses to check", name)
		}
		res, err := lab.CheckPairs(ctx, l, pairs, probe.ProberOptions{Timeout: time.Second})
		if err != nil {
			return 0, 0, err
		}
		last = lab.PairsCheck(res)
	}
	if err := lab.SaveLastCheck(name, last); err != nil {
		return 0, 0, err
	}
	failed := 0
	for _, p := range last.Pairs {
		if !p.OK {
			failed++
		}
	}
	return failed, len(last.Pairs), nil
}

// Ping implements Backend with topo's probe (through the source's own
// stack, as topo check), explained hop by hop when it fails.
func (Kernel) Ping(ctx context.Context, name, from, to string) (*PingResult, error) {
	l, err := lab.Applied(name)
	if err != nil {
		return nil, err
	}
	if n := l.Node(from); n == nil || n.Kind != topology.KindHost {
		return nil, fmt.Errorf("%q is not a host of lab %s: ping from a host", from, name)
	}
	dst, err := netip.ParseAddr(to)
	toNode := ""
	if err != nil {
		if l.Node(to) == nil {
			return nil, fmt.Errorf("%q is neither an address nor a node of lab %s", to, name)
		}
		held, dynamic, err := lab.HeldAddress(l, to)
		switch {
		case dynamic && err != nil:
			return nil, err
		case dynamic:
			dst = held // what its DHCP/SLAAC client holds now
		default:
			var ok bool
			if dst, ok = l.FirstAddress(to); !ok {
				return nil, fmt.Errorf("node %s has no address to ping (a switch has none: click a host or router)", to)
			}
		}
		toNode = to
	}
	res, err := lab.CheckPairs(ctx, l, []probe.Pair{{From: from, To: dst, ToNode: toNode}}, probe.ProberOptions{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, errors.New("the probe gave no answer")
	}
	r := res[0]
	out := &PingResult{From: from, To: to, Address: dst.String(), Reached: r.Reached, Reason: string(r.Reason), Why: r.Why}
	if r.Reached {
		out.TTL, out.RTT = r.TTL, float64(r.RTT.Microseconds())/1000
		out.Hops = 64 - r.TTL
		out.Trace = trace(ctx, l, probe.Pair{From: from, To: dst, ToNode: toNode}, out.Hops+1)
	}
	if r.Path != nil {
		for _, h := range r.Path.Forward {
			out.Path = append(out.Path, h.Node)
		}
	}
	return out, nil
}

// Capture implements Backend: `topo capture LAB TARGET`, the lines to
// line and the frames as pcapng to pcap, until ctx ends.
func (Kernel) Capture(ctx context.Context, name, target, filter string, ready func(), line func(string), pcap io.Writer) error {
	l, err := lab.Applied(name)
	if err != nil {
		return err
	}
	sels, err := capture.Resolve(l, []string{target}, false, nil)
	if err != nil {
		return err
	}
	f, err := capture.ParseFilter(strings.Fields(filter), capture.LabHosts(l))
	if err != nil {
		return err
	}
	lw := &lineWriter{fn: line}
	opts := capture.Options{
		Lab: name, StateDir: lab.Dir(name), Filter: f,
		Open: func(nodeName string) (*node.Namespace, error) {
			_, ns, err := lab.OpenNode(name, nodeName)
			if errors.Is(err, lab.ErrNoState) {
				return nil, fmt.Errorf("%w: %w", capture.ErrLabDown, err)
			}
			return ns, err
		},
		Sinks: []capture.Sink{capture.NewPrinter(lw, &capture.Formatter{}), capture.NewPcapng(pcap, true)},
	}
	sess, err := capture.Start(sels, opts)
	if err != nil {
		return err
	}
	ready()
	select {
	case <-ctx.Done():
	case <-sess.Done():
	}
	sess.Stop(false)
	if err := sess.Err(); err != nil && !errors.Is(err, capture.ErrLabDown) {
		return err
	}
	return nil
}

// lineWriter calls fn with each complete line written to it.
type lineWriter struct {
	fn  func(string)
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// trace proves the path of a pair that answered, one TTL after the
// other (probe.Trace), and names who answered at each; nil when the
// source cannot be entered (the ping's own answer still stands).
func trace(ctx context.Context, l *topology.Lab, p probe.Pair, hops int) []TraceHop {
	_, ns, err := lab.OpenNode(l.Name, p.From)
	if err != nil {
		return nil
	}
	defer ns.Close()
	opts := probe.ProberOptions{Timeout: time.Second, Attempts: 3, NameOf: lab.NodeOfAddress(l)}
	var out []TraceHop
	for i, r := range probe.Trace(ctx, ns, p, min(hops, 32), opts) {
		h := TraceHop{TTL: i + 1, Node: "*"}
		switch {
		case r.Reached:
			h.Node, h.Address = r.ToNode, r.To.String()
		case r.ICMP != nil:
			h.Node, h.Address = r.ICMP.FromNode, r.ICMP.From.String()
		}
		if h.Node == "" {
			h.Node = h.Address
		}
		out = append(out, h)
	}
	return out
}
