package probe

import (
	"context"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
)

// Trace sends echo requests to dst from ns with TTLs (hop limits) 1 to
// hops, as traceroute does, and returns one Result per TTL, in order:
// Reached when dst itself answered, an ICMP time exceeded naming the
// router that dropped the request at that hop (Result.ICMP, FromNode
// set through opts.NameOf), or why nothing came back. Each TTL is
// probed by a Prober of its own, all at once, so a trace takes one
// timeout at most (Attempts of them for a silent hop). The caller
// keeps ns open. Needs root; any goroutine.
func Trace(ctx context.Context, ns *node.Namespace, dst Pair, hops int, opts ProberOptions) []Result {
	out := make([]Result, hops)
	var wg sync.WaitGroup
	for i := range hops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := opts
			o.TTL = uint8(i + 1)
			p := NewProber(ns, o)
			defer p.Close()
			r := p.Probe(ctx, dst.To)
			r.From, r.ToNode = dst.From, dst.ToNode
			out[i] = r
		}()
	}
	wg.Wait()
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
