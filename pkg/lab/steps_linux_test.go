package lab

import (
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestEveryOpRuns(t *testing.T) {
	for _, op := range topology.Ops() {
		if stepRunners[op] == nil {
			t.Errorf("operation %q has no runner in stepRunners", op)
		}
	}
	if len(stepRunners) != len(topology.Ops()) {
		t.Errorf("stepRunners has %d runners for %d operations", len(stepRunners), len(topology.Ops()))
	}
}

// TestUnitsKeepSysctlOrder: a node's sysctl steps run one after another
// in plan order (ip_forward first: writing it resets other settings),
// while other nodes' run beside them; other operations run one step a
// unit.
func TestUnitsKeepSysctlOrder(t *testing.T) {
	phase := []topology.Step{
		{Op: topology.OpSetSysctl, Node: "r1", Key: topology.SysctlForwardV4, Value: "1"},
		{Op: topology.OpSetSysctl, Node: "r2", Key: topology.SysctlForwardV4, Value: "1"},
		{Op: topology.OpSetSysctl, Node: "r1", Key: "net.ipv4.conf.all.accept_redirects", Value: "1"},
	}
	units := unitsOf(phase)
	if len(units) != 2 || len(units[0]) != 2 || units[0][0].Key != topology.SysctlForwardV4 || units[0][1].Key != "net.ipv4.conf.all.accept_redirects" || len(units[1]) != 1 {
		t.Errorf("units of sysctl steps = %v, want r1's two in order, then r2's", units)
	}
	routes := []topology.Step{{Op: topology.OpAddRoute, Node: "h1"}, {Op: topology.OpAddRoute, Node: "h1"}}
	if units := unitsOf(routes); len(units) != 2 {
		t.Errorf("units of route steps = %v, want one each", units)
	}
}
