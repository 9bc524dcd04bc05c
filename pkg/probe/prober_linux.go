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
}

// Prober sends probes from one namespace, the way its kernel would
// route them. It opens one socket per output interface on first use and
// reuses it for every destination, and resolves each next hop once. Its
// echo requests carry an ID and payload cookie chosen at random per
// Prober, so concurrent topo processes do not take each other's replies.
// All methods may be called concurrently from any goroutine.
type Prober struct {
	ns     *node.Namespace
	opts   ProberOptions
	id     uint16
	cookie []byte
	seq    atomic.Uint32
	routes *routeCache // nil unless opts.SnapshotRoutes

	clients onceMap[int, *Client]       // by interface index
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
		opts.Timeout = time.Second
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

// path is a resolved way to a destination: route, socket, next-hop MAC.
type path struct {
	route Route
	c     *Client
	neigh Neighbor
}

// prepare looks up the route to dst, opens its interface's socket and
// resolves the next hop. The partial path is returned with any error.
func (p *Prober) prepare(ctx context.Context, dst netip.Addr) (path, error) {
	var pt path
	rt, err := p.route(dst)
	if err != nil {
		return pt, err
	}
	pt.route = rt
	c, err := p.client(rt.Index)
	if err != nil {
		return pt, &Error{Reason: ReasonError, Op: "open", Where: p.ns.Name, Addr: dst, Err: err}
	}
	pt.c = c
	n, err := p.resolve(ctx, c, rt.Src, rt.NextHop())
	if err != nil {
		return pt, err
	}
	pt.neigh = n
	return pt, nil
}

// route is LookupRoute, through the snapshot when there is one.
func (p *Prober) route(dst netip.Addr) (Route, error) {
	if p.routes != nil {
		return p.routes.lookup(dst)
	}
	return LookupRoute(p.ns, dst)
}

// echo sends one echo over pt with the given sequence number.
func (p *Prober) echo(ctx context.Context, pt path, seq uint16) (EchoReply, error) {
	ectx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	return pt.c.Echo(ectx, EchoRequest{
		Src: pt.route.Src, Dst: pt.route.Dst, NextHop: pt.neigh.MAC,
		ID: p.id, Seq: seq, TTL: p.opts.TTL, Payload: p.cookie,
	})
}

// Probe routes, resolves and echoes dst as described on Prober, trying
// up to opts.Attempts echoes. It implements Source.
func (p *Prober) Probe(ctx context.Context, dst netip.Addr) Result {
	dst = dst.Unmap()
	r := Result{To: dst}
	pt, err := p.prepare(ctx, dst)
	r.Iface, r.NextHop = pt.route.Iface, pt.route.NextHop()
	if !pt.route.Dst.IsValid() {
		r.NextHop = netip.Addr{}
	}
	if pt.neigh.MAC != nil {
		r.MAC = pt.neigh.MAC.String()
	}
	for range p.opts.Attempts {
		if err != nil {
			break
		}
		var er EchoReply
		er, err = p.echo(ctx, pt, uint16(p.seq.Add(1)))
		if err == nil {
			r.Reached, r.RTT, r.TTL = true, er.RTT, er.TTL
			return r
		}
		if ReasonOf(err) != ReasonICMP {
			break
		}
	}
	r.Reason, r.Error = ReasonOf(err), err.Error()
	return r
}
