package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/topo-lab/topo/pkg/node"
)

// Ping sends echo requests from the namespace ns to dst through the
// node's own stack, as its ping would (see stackSocket): each request
// waits opts.Timeout for its reply or an ICMP error. opts.OnReply sees
// every request. The route the kernel picks is reported in stats. ns
// must stay open during the call; sockets are opened inside it through
// ns.Do and closed before Ping returns. Callable from any goroutine.
//
// The error is non-nil, with stats describing how far it got, when the
// stack refused to send the first request (ReasonNoRoute,
// ReasonFiltered) or the probe could not run (ReasonError). Otherwise
// it is nil even if no reply came; stats.Received tells, and
// stats.Reason says why then (ReasonUnreachable with stats.ICMP,
// ReasonARP when the next hop stayed unresolved, ReasonICMP).
func Ping(ctx context.Context, ns *node.Namespace, dst netip.Addr, opts PingOptions) (*PingStats, error) {
	dst = dst.Unmap()
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	p := NewProber(ns, ProberOptions{Timeout: opts.Timeout, TTL: opts.TTL, Size: opts.Size, NameOf: opts.NameOf})
	defer p.Close()
	st := &PingStats{Dst: dst}
	rt, rerr := LookupRoute(ns, dst)
	if rerr == nil {
		st.Route = rt
	}
	var sent time.Time
	var last Result
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
		er, err := p.stackEcho(ctx, dst, uint16(seq))
		r := PingReply{Seq: seq, From: dst}
		if err == nil {
			r.Received, r.TTL, r.RTT, r.Size = true, er.TTL, er.RTT, er.Size
		} else {
			r.Reason, r.Err = ReasonOf(err), err
			var ie *icmpErr
			if errors.As(err, &ie) {
				r.ICMP, r.From = ie.e, ie.e.From
			}
			if r.Reason == ReasonError && ctx.Err() != nil {
				break // interrupted, like ^C: not counted
			}
			if seq == 1 && (r.Reason == ReasonNoRoute || r.Reason == ReasonFiltered || r.Reason == ReasonError) {
				st.Reason = r.Reason
				return st, err
			}
			last = Result{Reason: r.Reason, Error: err.Error(), ICMP: r.ICMP}
		}
		st.add(r)
		if opts.OnReply != nil {
			opts.OnReply(r)
		}
	}
	if st.Received > 0 && rerr == nil {
		st.MAC = neighbourMAC(ns, rt)
	}
	if st.Received == 0 && st.Sent > 0 {
		if last.Reason == ReasonICMP && rerr == nil && ctx.Err() == nil {
			p.explainSilence(ctx, &last, rt)
		}
		st.Reason, st.ICMP, st.Neighbor, st.Error = last.Reason, last.ICMP, last.Neighbor, last.Error
	}
	return st, nil
}

// neighbourMAC is the MAC of rt's next hop in ns's neighbour table; ""
// when there is none.
func neighbourMAC(ns *node.Namespace, rt Route) string {
	neighs, err := ns.NL.NeighList(rt.Index, 0)
	if err != nil {
		return ""
	}
	for _, n := range neighs {
		if a, err := ipToAddr(n.IP); err == nil && a == rt.NextHop() && len(n.HardwareAddr) > 0 {
			return n.HardwareAddr.String()
		}
	}
	return ""
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
