package lab

import (
	"net/netip"
	"testing"

	"github.com/topo-lab/topo/pkg/explain"
	"github.com/topo-lab/topo/pkg/probe"
)

func TestWhyText(t *testing.T) {
	broken := &explain.Path{Broken: &explain.Break{Sentence: "r1 has no route to 10.1.3.0/24"}}
	whole := &explain.Path{}
	icmp := &probe.ICMPError{From: netip.MustParseAddr("10.1.1.1"), FromNode: "r1", Type: 3, Code: 0}
	mismatch := &probe.NeighborMismatch{Addr: netip.MustParseAddr("10.0.0.2"), Iface: "eth0", Table: "02:00:00:00:00:99", State: "permanent", Answered: "02:00:00:00:00:02"}
	for _, tc := range []struct {
		desc string
		p    *explain.Path
		r    probe.Result
		want string
	}{
		{"the walk names the hop", broken, probe.Result{From: "h1", Reason: probe.ReasonUnreachable, ICMP: icmp}, "r1 has no route to 10.1.3.0/24"},
		{"the walk finds nothing; an ICMP error came", whole, probe.Result{From: "h1", Reason: probe.ReasonUnreachable, ICMP: icmp}, "r1 (10.1.1.1): destination net unreachable"},
		{"topo's ARP and the table disagree", whole, probe.Result{From: "h1", Reason: probe.ReasonICMP, Neighbor: mismatch}, "h1: " + mismatch.String()},
		{"the source's firewall", whole, probe.Result{From: "h1", Reason: probe.ReasonFiltered}, "h1's firewall dropped the request on its way out (nftables in h1)"},
		{"nothing explains it", whole, probe.Result{From: "h1", Reason: probe.ReasonICMP, Error: "no reply"},
			"every hop looks right from the nodes' routes, links and settings, yet h1's own stack got no reply (no reply): something the walk does not model, such as a firewall rule it cannot read or traffic control"},
	} {
		if got := WhyText(tc.p, tc.r); got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.desc, got, tc.want)
		}
	}
}
