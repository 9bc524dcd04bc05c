package lab

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/service"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestNotReadyStarting: a service not started yet is said to wait for
// the services it comes after only when it has some, and names them.
func TestNotReadyStarting(t *testing.T) {
	starting := service.State{State: service.StateStarting}
	for _, c := range []struct {
		after []string
		want  string
	}{
		{nil, "(not started yet;"},
		{[]string{"db", "cache"}, "(not started: waits for db, cache;"},
	} {
		n := NotReady{Node: "h1", Service: "web", Ready: &topology.Ready{TCP: 80}, After: c.after, State: starting}
		if got := n.String(); !strings.Contains(got, c.want) {
			t.Errorf("after %v: %q, want %q in it", c.after, got, c.want)
		}
	}
}
