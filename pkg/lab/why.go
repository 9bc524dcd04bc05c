package lab

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/explain"
	"github.com/topo-lab/topo/pkg/probe"
)

// WhyText says in one sentence why a probe failed: the walk's first
// broken hop; or, when the walk finds every hop right, what the probe
// saw, saying that the two disagree. Pure.
func WhyText(p *explain.Path, r probe.Result) string {
	if p != nil && p.Broken != nil {
		return p.Broken.Sentence
	}
	switch {
	case r.Neighbor != nil:
		return r.From + ": " + r.Neighbor.String()
	case r.ICMP != nil:
		return r.ICMP.String()
	case r.Reason == probe.ReasonFiltered:
		return r.From + "'s firewall dropped the request on its way out (nftables in " + r.From + ")"
	}
	seen := r.Error
	if seen == "" {
		seen = string(r.Reason)
	}
	return fmt.Sprintf("every hop looks right from the nodes' routes, links and settings, yet %s's own stack got no reply (%s): something the walk does not model, such as a firewall rule it cannot read or traffic control", r.From, seen)
}
