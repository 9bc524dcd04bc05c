package lab

import (
	"net/netip"
	"time"

	"github.com/topo-lab/topo/pkg/topology"

	"github.com/topo-lab/topo/pkg/probe"
)

// ExpectationsCheck records the verdicts on a lab's expectations.
func ExpectationsCheck(res []ExpectResult) *LastCheck {
	last := &LastCheck{Time: time.Now().UTC()}
	for _, r := range res {
		reason := ""
		switch {
		case r.Holds:
		case r.Expect.Kind() != topology.ExpectReach:
			reason = r.Expect.String() + ": " + r.Why // a path, a port, an MTU
		case r.Result.To == (netip.Addr{}):
			reason = r.Why // a node missing
		case r.Result.Reached:
			reason = "reached, but must not"
		default:
			reason = whyShort(r.Result)
		}
		// A path, a port or an MTU between two nodes says they reach
		// each other, whatever reach: says of the port.
		reach := r.Expect.Reach || r.Expect.Kind() != topology.ExpectReach
		last.Pairs = append(last.Pairs, CheckedPair{From: r.Expect.From, To: r.Expect.To, Reach: reach, OK: r.Holds, Reason: reason})
	}
	return last
}

// PairsCheck records all-pairs results, one pair per two nodes: it
// fails when any address of the target failed.
func PairsCheck(res []probe.Result) *LastCheck {
	last := &LastCheck{Time: time.Now().UTC()}
	index := map[[2]string]int{}
	for _, r := range res {
		to := r.ToNode
		if to == "" {
			to = r.To.String()
		}
		k := [2]string{r.From, to}
		i, ok := index[k]
		if !ok {
			i = len(last.Pairs)
			index[k] = i
			last.Pairs = append(last.Pairs, CheckedPair{From: r.From, To: to, Reach: true, OK: true})
		}
		if !r.Reached && last.Pairs[i].OK {
			last.Pairs[i].OK = false
			last.Pairs[i].Reason = whyShort(r)
		}
	}
	return last
}

// whyShort is a failed probe's reason as a picture shows it: the reason
// word and the first broken hop ("no-route: r1 has no route to ...").
func whyShort(r probe.Result) string {
	why := string(r.Reason)
	if r.Why != "" {
		why += ": " + r.Why
	}
	return why
}
