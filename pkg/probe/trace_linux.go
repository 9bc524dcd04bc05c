package probe

import (
	"context"

	"github.com/topo-lab/topo/pkg/node"
)

// Trace sends echo requests to dst from ns with TTLs (hop limits) 1,
// 2, ... as traceroute does, and returns one Result per TTL, in order:
// Reached when dst itself answered, an ICMP time exceeded naming the
// router that dropped the request at that hop (Result.ICMP, FromNode
// set through opts.NameOf), or why nothing came back. It stops at the
// first answer that ends the path (dst, or an ICMP error other than
// time exceeded), at the first hop that stays silent (traceroute's
// "*"; what lies past it is not worth a timeout per hop), or after hops
// TTLs. The TTLs go one after the other,
// so a path that ends early costs its last router one ICMP error, not
// one per TTL: routers send at most six in a burst to one host, then
// one a second (net.ipv4.icmp_ratelimit), and a silent hop is tried
// opts.Attempts times, a timeout apart, for that reason. The caller
// keeps ns open. Needs root; any goroutine.
func Trace(ctx context.Context, ns *node.Namespace, dst Pair, hops int, opts ProberOptions) []Result {
	var out []Result
	for ttl := 1; ttl <= hops && ctx.Err() == nil; ttl++ {
		o := opts
		o.TTL = uint8(ttl)
		p := NewProber(ns, o)
		r := p.Probe(ctx, dst.To)
		p.Close()
		r.From, r.ToNode = dst.From, dst.ToNode
		out = append(out, r)
		if r.Reached || r.ICMP == nil || !r.ICMP.TimeExceeded() {
			break
		}
	}
	return out
}

// TimeExceeded reports whether the error is an ICMP time exceeded in
// transit (ICMPv6 hop limit exceeded): a router dropped the packet
// whose TTL ran out, as traceroute expects.
func (e *ICMPError) TimeExceeded() bool {
	if e.V6 {
		return e.Type == 3 && e.Code == 0
	}
	return e.Type == 11 && e.Code == 0
}

// TooBig reports whether the error says the packet was larger than a
// link on the path takes (fragmentation needed and DF set, or ICMPv6
// packet too big); MTU is then that link's MTU.
func (e *ICMPError) TooBig() bool {
	if e.V6 {
		return e.Type == 2
	}
	return e.Type == 3 && e.Code == 4
}
