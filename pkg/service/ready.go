package service

import (
	"context"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// readyPoll is how often a service's readiness is looked at. The
// kernel tells nobody when a socket starts to listen (sock_diag
// announces only destroyed sockets), so it is asked: one dump of
// the node's sockets, a few microseconds.
const readyPoll = 20 * time.Millisecond

// readyOn is what r's ready: waits for, or nil.
func (sv *Supervisor) readyOn(r *runner) *topology.Ready {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return r.readyOn
}

// watchReady closes r.ready once r is ready (per sv.Ready), or once it
// has no ready: any more; it gives up when r is stopped. It watches
// across restarts: a service slow to be ready may crash on the way.
func (sv *Supervisor) watchReady(ctx context.Context, r *runner) {
	defer close(r.ready)
	for {
		on := sv.readyOn(r)
		if on == nil || sv.Ready(r.spec.Node, on) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(readyPoll):
		}
	}
}
