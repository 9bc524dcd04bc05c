package probe

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/topo-lab/topo/pkg/node"
)

// Ping sends echo requests from the namespace ns to dst as its kernel
// would route them: output interface, source and gateway come from its
// routing table, the next hop is resolved with ARP or NDP (once), and
// each request waits opts.Timeout for its reply. opts.OnReply sees every
// request. ns must stay open during the call; sockets are opened inside
// it through ns.Do and closed before Ping returns. Callable from any
// goroutine.
//
// The error is non-nil, with stats describing how far it got, when no
// request could be sent: ReasonNoRoute, ReasonARP (the next hop did not
// answer) or ReasonError. Otherwise it is nil even if no reply came;
// stats.Received tells, and stats.Reason is ReasonICMP then.
func Ping(ctx context.Context, ns *node.Namespace, dst netip.Addr, opts PingOptions) (*PingStats, error) {
	dst = dst.Unmap()
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	p := NewProber(ns, ProberOptions{Timeout: opts.Timeout, TTL: opts.TTL, Size: opts.Size})
	defer p.Close()
	st := &PingStats{Dst: dst}
	pt, err := p.prepare(ctx, dst)
	st.Route = pt.route
	if pt.neigh.MAC != nil {
		st.MAC = pt.neigh.MAC.String()
	}
	if err != nil {
		st.Reason = ReasonOf(err)
		return st, err
	}
	var sent time.Time
	for seq := 1; opts.Count <= 0 || seq <= opts.Count; seq++ {
		if seq > 1 {
			// Keep the interval from request to request, like ping.
			t := time.NewTimer(time.Until(sent.Add(opts.Interval)))
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			break
		}
		sent = time.Now()
		er, err := p.echo(ctx, pt, uint16(seq))
		r := PingReply{Seq: seq, From: dst}
		if err == nil {
			r.Received, r.TTL, r.RTT, r.Size = true, er.TTL, er.RTT, er.Size
		} else {
			r.Reason, r.Err = ReasonOf(err), err
			if r.Reason == ReasonError && ctx.Err() != nil {
				break // interrupted, like ^C: not counted
			}
		}
		st.add(r)
		if opts.OnReply != nil {
			opts.OnReply(r)
		}
	}
	if st.Received == 0 && st.Sent > 0 {
		st.Reason = ReasonICMP
	}
	return st, nil
}

// ARP asks, from interface iface of namespace ns, who has the IPv4
// address addr, and returns the MAC that answered. iface "" means the
// interface the routing table picks for addr. The sender address is one
// of the interface's own (0.0.0.0 if it has none). It retries until ctx
// ends, at most timeout (default 1s); no answer is an *Error with
// ReasonARP. The socket is opened inside ns through ns.Do; callable from
// any goroutine.
func ARP(ctx context.Context, ns *node.Namespace, iface string, addr netip.Addr, timeout time.Duration) (Neighbor, error) {
	addr = addr.Unmap()
	if !addr.Is4() {
		return Neighbor{}, fmt.Errorf("arp %s: not an IPv4 address (use NDP)", addr)
	}
	return resolveOnce(ctx, ns, iface, addr, timeout)
}

// NDP is ARP for IPv6: a neighbour solicitation for addr from iface of
// ns (or the routed interface when iface is ""), answered by a neighbour
// advertisement. Same rules as ARP.
func NDP(ctx context.Context, ns *node.Namespace, iface string, addr netip.Addr, timeout time.Duration) (Neighbor, error) {
	if !addr.Is6() || addr.Is4In6() {
		return Neighbor{}, fmt.Errorf("ndp %s: not an IPv6 address (use ARP)", addr)
	}
	return resolveOnce(ctx, ns, iface, addr, timeout)
}

func resolveOnce(ctx context.Context, ns *node.Namespace, iface string, addr netip.Addr, timeout time.Duration) (Neighbor, error) {
	p := NewProber(ns, ProberOptions{Timeout: timeout})
	defer p.Close()
	return p.Neighbor(ctx, iface, addr)
}
