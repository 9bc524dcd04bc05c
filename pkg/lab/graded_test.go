package lab

import (
	"net/netip"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

// TestNotGraded lists a file's checks in Grade's order (nodes,
// addresses, expectations), each failed with the reason given and
// earning nothing.
func TestNotGraded(t *testing.T) {
	f := &topology.ExpectFile{
		Nodes:     []topology.NodeCheck{{Name: "r2", Points: 2, Pos: topology.Pos{Line: 1}}},
		Addresses: []topology.AddressCheck{{Node: "h1", Prefix: netip.MustParsePrefix("10.0.0.1/24"), Points: 3, Pos: topology.Pos{Line: 3}}},
		Expect:    []*topology.Expectation{{From: "h1", To: "h2", Reach: true, Points: 1, Pos: topology.Pos{Line: 5}}},
	}
	got := NotGraded(f, "lab x is not up")
	want := []Graded{
		{Check: "node r2 exists", Kind: "node", Line: 1, Points: 2, Why: "lab x is not up"},
		{Check: "h1 holds 10.0.0.1/24", Kind: "address", Line: 3, Points: 3, Why: "lab x is not up"},
		{Check: "h1 must reach h2", Kind: "reach", Line: 5, Points: 1, Why: "lab x is not up"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d checks, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.Check != want[i].Check || g.Kind != want[i].Kind || g.Line != want[i].Line || g.Points != want[i].Points ||
			g.Why != want[i].Why || g.Holds || g.Earned != 0 {
			t.Errorf("check %d: %+v, want %+v", i, g, want[i])
		}
	}
}
