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
