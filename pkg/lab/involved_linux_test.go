package lab

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/topo-lab/topo/pkg/probe"
)

// TestInvolved: a sample of pairs involves its sources, its targets'
// nodes (named, or found by address) and the routers; not the rest.
func TestInvolved(t *testing.T) {
	lan := lanLab(6)
	pairs := []probe.Pair{
		{From: "h1", To: netip.MustParseAddr("10.0.0.2"), ToNode: "h2"},
		{From: "h3", To: netip.MustParseAddr("10.0.0.5")}, // h5, by address
	}
	if got := fmt.Sprint(involved(lan, pairs)); got != "[h1 h2 h3 h5]" {
		t.Errorf("LAN: involved %s, want [h1 h2 h3 h5]", got)
	}
	star := routedStar(5, false)
	star.Nodes[0].Forward = true // r1
	pairs = []probe.Pair{{From: "h2", To: netip.MustParseAddr("10.0.4.10"), ToNode: "h4"}}
	if got := fmt.Sprint(involved(star, pairs)); got != "[r1 h2 h4]" {
		t.Errorf("routed star: involved %s, want [r1 h2 h4]", got)
	}
	if got := len(involved(star, AllPairs(star))); got != 6 {
		t.Errorf("all pairs involve %d hosts, want all 6", got)
	}
}
