package probe

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/topo-lab/topo/pkg/node"
)

// ProberOptions tune a Prober. Zero values mean defaults.
type ProberOptions struct {
	// Timeout bounds each neighbour resolution and each echo; default 1s.
	Timeout time.Duration
	// Attempts is how many echo requests a Probe sends, one after the
	// other, before giving up with ReasonICMP; default 1.
	Attempts int
	// TTL of echo requests; default 64.
	TTL uint8
	// Size is the echo data length in bytes (at least 8); default 56,
	// like ping.
	Size int
	// MACOf, when set, gives the hardware address a next hop is expected
	// at, so its ARP/NDP request goes there alone instead of to every
	// host of the LAN (see Client.ResolveAt); nil for unknown.
	MACOf func(netip.Addr) net.HardwareAddr
	// SnapshotRoutes lets the Prober read the namespace's routing
	// policy, routes and addresses once and ask the kernel one route
	// lookup per group of destinations that must get the same answer
	// (see routeCache), instead of one per destination. For a check of
	// many pairs at one moment; not for a long session during which
	// routes may change.
	SnapshotRoutes bool
	// DontFragment sets DF on IPv4 echo requests and keeps IPv6 ones
	// unfragmented, whatever path MTU the node has learnt: a request
	// larger than a link on the path is dropped there (with an ICMP
	// "fragmentation needed" or "packet too big"), as ping -M probe
	// does. For finding a path's MTU.
	DontFragment bool
	// NameOf, when set, names the node that owns an address, so that an
	// ICMP error is reported with who sent it ("r1 (10.1.1.1)").
	NameOf func(netip.Addr) string
}

// Prober sends probes from one namespace through its own stack: one raw
// ICMP socket per address family, opened on first use and shared by
// every destination (see stackSocket). To explain a silent next hop it
// also opens a packet socket on the output interface and resolves the
// next hop with topo's own ARP/NDP, once per next hop. Its echo
// requests carry an ID and payload cookie chosen at random per Prober,
// so concurrent topo processes do not take each other's replies. All
// methods may be called concurrently from any goroutine.
type Prober struct {
	ns     *node.Namespace
	opts   ProberOptions
	id     uint16
	cookie []byte
	seq    atomic.Uint32
	routes *routeCache // nil unless opts.SnapshotRoutes

	clients onceMap[int, *Client]       // by interface index
	stacks  onceMap[bool, *stackSocket] // raw ICMP sockets, by IPv6
	neigh   onceMap[neighKey, Neighbor] // next hops resolved
}

type neighKey struct {
	index int
	addr  netip.Addr
}

// NewProber returns a Prober for ns, which the caller keeps open until
// the Prober is closed (and closes afterwards). Sockets are opened later,
// inside ns, through ns.Do.
func NewProber(ns *node.Namespace, opts ProberOptions) *Prober {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 1
	}
	if opts.TTL == 0 {
		opts.TTL = 64
	}
	if opts.Size <= 0 {
		opts.Size = 56
	}
	opts.Size = max(opts.Size, 8)
	var rnd [10]byte
	_, _ = crand.Read(rnd[:]) // never fails on Linux
	p := &Prober{
		ns:     ns,
		opts:   opts,
		id:     binary.BigEndian.Uint16(rnd[:2]),
		cookie: make([]byte, opts.Size),
	}
	for i := range p.cookie {
		p.cookie[i] = rnd[2+i%8]
	}
	if opts.SnapshotRoutes {
		p.routes = newRouteCache(ns)
	}
	return p
}

// Close closes the Prober's sockets. It does not close the namespace.
func (p *Prober) Close() error {
	var errs []error
	for _, c := range p.clients.drain() {
		errs = append(errs, c.Close())
	}
	for _, s := range p.stacks.drain() {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// client returns the Client of interface index, opening it once.
func (p *Prober) client(index int) (*Client, error) {
	c, _, err := p.clients.do(context.Background(), index, func() (*Client, error) {
		link, err := p.ns.NL.LinkByIndex(index)
		if err != nil {
			return nil, fmt.Errorf("interface %d in %s: %w", index, p.ns.Name, err)
		}
		return Dial(p.ns, link.Attrs().Name)
	}, nil)
	return c, err
}

// resolve resolves addr on c from src, once per Prober; later callers
// share the first answer, failures included, except failures that are
// no verdict about the neighbour: the next caller tries again.
func (p *Prober) resolve(ctx context.Context, c *Client, src, addr netip.Addr) (Neighbor, error) {
	n, _, err := p.neigh.do(ctx, neighKey{c.ifi.Index, addr}, func() (Neighbor, error) {
		rctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		defer cancel()
		var at net.HardwareAddr
		if p.opts.MACOf != nil {
			at = p.opts.MACOf(addr)
		}
		return c.ResolveAt(rctx, src, addr, at)
	}, func(_ Neighbor, err error) bool { return err == nil || ReasonOf(err) == ReasonARP })
	if err != nil && ctx.Err() != nil && !isProbeError(err) {
		return Neighbor{}, &Error{Reason: ReasonError, Op: "arp", Where: c.ifi.Name, Addr: addr, Err: err}
	}
	return n, err
}

// isProbeError reports whether err is (or wraps) an *Error.
func isProbeError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Neighbor resolves addr with ARP or NDP from the interface named iface
// of the Prober's namespace, or, when iface is "", from the interface
// the routing table picks for addr. The source address is one of the
// interface's own. Failure to answer within the Prober's Timeout is an
// *Error with ReasonARP. Unlike Probe, the answer is not cached.
func (p *Prober) Neighbor(ctx context.Context, iface string, addr netip.Addr) (Neighbor, error) {
	addr = addr.Unmap()
	var index int
	if iface == "" {
		rt, err := LookupRoute(p.ns, addr)
		if err != nil {
			return Neighbor{}, err
		}
		index = rt.Index
	} else {
		link, err := p.ns.NL.LinkByName(iface)
		if err != nil {
			return Neighbor{}, &Error{Reason: ReasonError, Op: "arp", Where: p.ns.Name + ":" + iface, Addr: addr, Err: err}
		}
		index = link.Attrs().Index
	}
	c, err := p.client(index)
	if err != nil {
		return Neighbor{}, &Error{Reason: ReasonError, Op: "open", Where: p.ns.Name, Addr: addr, Err: err}
	}
	src, err := sourceFor(p.ns, index, addr)
	if err != nil {
		return Neighbor{}, &Error{Reason: ReasonError, Op: "arp", Where: p.ns.Name + ":" + c.ifi.Name, Addr: addr, Err: err}
	}
	rctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	return c.Resolve(rctx, src, addr)
}

// route is LookupRoute, through the snapshot when there is one.
func (p *Prober) route(dst netip.Addr) (Route, error) {
	if p.routes != nil {
		return p.routes.lookup(dst)
	}
	return LookupRoute(p.ns, dst)
}

// Probe sends echo requests to dst through the node's own stack (see
// stackSocket), up to opts.Attempts, and gives its verdict: reached
// when an echo reply came back. The route the kernel picks is
// reported for display. When the request goes unanswered, it reads the
// node's neighbour entry for the next hop to tell an unresolved next
// hop (ReasonARP) from a lost echo (ReasonICMP), and, when the entry
// names a MAC, asks with topo's own ARP/NDP who really has the next
// hop, so that a wrong static entry is named. It implements Source.
func (p *Prober) Probe(ctx context.Context, dst netip.Addr) Result {
	dst = dst.Unmap()
	r := Result{To: dst}
	rt, rerr := p.route(dst)
	if rerr == nil {
		r.Iface, r.NextHop, r.Src = rt.Iface, rt.NextHop(), rt.Src
	}
	var err error
	for range p.opts.Attempts {
		var rep EchoReply
		rep, err = p.stackEcho(ctx, dst, uint16(p.seq.Add(1)))
		if err == nil {
			r.Reached, r.RTT, r.TTL = true, rep.RTT, rep.TTL
			return r
		}
		if ReasonOf(err) != ReasonICMP {
			break
		}
	}
	setFailure(&r, err)
	if r.Reason == ReasonICMP && rerr == nil && ctx.Err() == nil {
		p.explainSilence(ctx, &r, rt)
	}
	return r
}

// setFailure records in r the failure err (an *Error from stackEcho).
func setFailure(r *Result, err error) {
	r.Reason, r.Error = ReasonOf(err), err.Error()
	var ie *icmpErr
	if errors.As(err, &ie) {
		r.ICMP, r.Error = ie.e, ie.e.String()
	}
}
