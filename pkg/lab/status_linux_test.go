package lab

import (
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestIfaceState(t *testing.T) {
	for _, c := range []struct {
		oper           string
		admin, carrier bool
		want           string
	}{
		{"up", true, true, "up"},
		{"lowerlayerdown", true, false, "lowerlayerdown"},
		{"down", false, false, "down"},
		{"up", false, true, "down"},
		// A bridge the kernel has not yet moved out of "unknown".
		{"unknown", true, true, "up"},
		{"unknown", true, false, "unknown"},
	} {
		i := &topology.ObservedIface{OperState: c.oper, AdminUp: c.admin, Carrier: c.carrier}
		if got := ifaceState(i); got != c.want {
			t.Errorf("ifaceState(%s, admin %v, carrier %v) = %q, want %q", c.oper, c.admin, c.carrier, got, c.want)
		}
	}
}
