package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// FindPathMTU finds the largest IP packet with DF set (IPv6: never
// fragmented) that goes from ns to dst and is answered: echo requests
// of chosen sizes, through the node's own stack, ignoring any path MTU
// it has learnt (see searchMTU for the sizes, ProberOptions.DontFragment
// for the socket). The sizes tried run from the least the family
// carries (68 bytes for IPv4, 1280 for IPv6) to the MTU of the
// interface the route to dst leaves by. A router that answers a request
// too large for its next link teaches the node's kernel that path MTU
// for ten minutes, as it does for ping -M do. A size that goes
// unanswered is tried twice (the smallest three times) before it counts
// as too big, so a black hole costs a few seconds. The caller keeps ns
// open.
// Needs root; any goroutine.
func FindPathMTU(ctx context.Context, ns *node.Namespace, dst netip.Addr, opts ProberOptions) (PathMTU, error) {
	dst = dst.Unmap()
	rt, err := LookupRoute(ns, dst)
	if err != nil {
		return PathMTU{}, err
	}
	link, err := ns.NL.LinkByIndex(rt.Index)
	if err != nil {
		return PathMTU{}, fmt.Errorf("mtu of %s in %s: %w", rt.Iface, ns.Name, err)
	}
	lo, header := 68, 28
	if dst.Is6() {
		lo, header = 1280, 48
	}
	hi := link.Attrs().MTU
	if hi < lo {
		return PathMTU{}, fmt.Errorf("%s:%s has mtu %d, below the %d bytes the family needs", ns.Name, rt.Iface, hi, lo)
	}
	opts.DontFragment = true
	var seq uint16
	res := searchMTU(lo, hi, func(size int) mtuOutcome {
		o := opts
		o.Size = size - header
		p := NewProber(ns, o)
		defer p.Close()
		// A lost packet is not a packet too big: a silent size is
		// tried again, and the smallest, which says whether anything
		// passes at all, once more (a next hop's ARP may be retried a
		// second later).
		attempts := max(o.Attempts, 2)
		if size == lo {
			attempts = max(o.Attempts, 3)
		}
		var err error
		for range attempts {
			seq++
			if _, err = p.stackEcho(ctx, dst, seq); err == nil {
				return mtuOutcome{pass: true}
			}
			if ReasonOf(err) != ReasonICMP {
				break
			}
		}
		out := mtuOutcome{why: err.Error()}
		if ReasonOf(err) == ReasonICMP {
			out.why = "no reply"
		}
		var ie *icmpErr
		if errors.As(err, &ie) {
			out.why = ie.e.String()
			if ie.e.TooBig() {
				out.hint = ie.e.MTU
			}
		}
		if errors.Is(err, unix.EMSGSIZE) {
			out.why = fmt.Sprintf("%s refused to send it: larger than the mtu of %s", ns.Name, rt.Iface)
		}
		return out
	})
	return res, ctx.Err()
}
