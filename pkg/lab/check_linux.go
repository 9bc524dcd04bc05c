package lab

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// ExpectResult is the verdict on one expectation of a lab file.
type ExpectResult struct {
	Expect *topology.Expectation `json:"expect"`
	Result probe.Result          `json:"result"`
	// Holds is whether the network behaved as expected.
	Holds bool `json:"holds"`
	// Why explains the verdict in a few words.
	Why string `json:"why"`
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

// AllPairs lists every host to every address of every other host.
func AllPairs(l *topology.Lab) []probe.Pair {
	hosts := Hosts(l)
	addrs := map[string][]netip.Prefix{}
	for _, h := range hosts {
		addrs[h] = l.Addresses(h)
	}
	var pairs []probe.Pair
	for _, from := range hosts {
		for _, to := range hosts {
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

// CheckPairs probes the pairs from inside the lab's namespaces, in
// parallel. The lab must be up. Needs root; any goroutine.
func CheckPairs(ctx context.Context, labName string, pairs []probe.Pair, opts probe.ProberOptions) []probe.Result {
	return probe.Check(ctx, probe.NamespaceOpener(labName, opts), pairs, probe.CheckOptions{})
}

// CheckExpectations probes each expectation of l (a lab that is up) and
// says whether it holds.
func CheckExpectations(ctx context.Context, l *topology.Lab, opts probe.ProberOptions) ([]ExpectResult, error) {
	pairs := make([]probe.Pair, len(l.Expect))
	for i, e := range l.Expect {
		to, err := netip.ParseAddr(e.To)
		toNode := ""
		if err != nil {
			var ok bool
			if to, ok = l.FirstAddress(e.To); !ok {
				return nil, fmt.Errorf("%s: expectation to %s: that node has no address", e.Pos, e.To)
			}
			toNode = e.To
		}
		pairs[i] = probe.Pair{From: e.From, To: to, ToNode: toNode}
	}
	results := CheckPairs(ctx, l.Name, pairs, opts)
	out := make([]ExpectResult, len(results))
	for i, r := range results {
		out[i] = judge(l.Expect[i], r)
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

// reasonText says why a pair failed, for people.
func reasonText(r probe.Result) string {
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
