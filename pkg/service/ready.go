package service

import (
	"context"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// ReadyPoll is how often a service's readiness is first looked at. The
// kernel tells nobody when a socket starts to listen (sock_diag
// announces only destroyed sockets), so it is asked: one dump of the
// node's sockets, a few microseconds. up looks this often while it
// waits; the supervisor backs off from it to maxReadyPoll.
const ReadyPoll = 20 * time.Millisecond

// maxReadyPoll is the longest the supervisor goes without looking at a
// service that is not ready while another waits for it.
const maxReadyPoll = time.Second

// readyOn is what r's ready: waits for, or nil.
func (sv *Supervisor) readyOn(r *runner) *topology.Ready {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return r.readyOn
}

// markReady lets the services after r start.
func (r *runner) markReady() { r.readyOnce.Do(func() { close(r.ready) }) }

// markHeld says r waits for something other than a start: a service to
// be ready, or one that is not there.
func (r *runner) markHeld() { r.heldOnce.Do(func() { close(r.held) }) }

// waitAfter waits until each service r comes after lets it start; hold
// is called when r may wait long (see waitFor). It reports false when
// ctx ends first.
func (sv *Supervisor) waitAfter(ctx context.Context, r *runner, hold func()) bool {
	for _, name := range r.spec.Service.After {
		if !sv.waitFor(ctx, r.spec.Node+"/"+name, hold) {
			return false
		}
	}
	return true
}

// waitFor waits until the service key lets those after it start: once
// its first start was tried, or, with ready:, once it is ready. The
// service is looked up in the running set again whenever the one
// waited for is stopped: a replacement (an edit, a restart asked by up)
// is followed, and one stopped and not replaced lets nothing start.
// hold is called before a wait that is not for a start.
func (sv *Supervisor) waitFor(ctx context.Context, key string, hold func()) bool {
	for {
		sv.mu.Lock()
		d, changed := sv.running[key], sv.changed
		sv.mu.Unlock()
		if d == nil {
			hold()
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return false
			}
		}
		how := untilStarted(ctx, d, hold)
		if how == watchStarted {
			how = sv.watch(ctx, d, hold)
		}
		switch how {
		case watchReady:
			return true
		case watchCancelled:
			return false
		case watchEnded:
			// Nothing will listen: wait for a replacement.
			select {
			case <-d.ctx.Done():
			case <-ctx.Done():
				return false
			}
		}
	}
}

// How a wait for a service ends.
const (
	watchReady     = iota // it is ready
	watchStarted          // its first start was tried; it is not ready
	watchStopped          // it was stopped
	watchEnded            // it exited and will not be restarted
	watchCancelled        // the waiter was stopped
)

// untilStarted waits until d's first start was tried, or d is ready or
// stopped; it calls hold when d is held itself.
func untilStarted(ctx context.Context, d *runner, hold func()) int {
	held := d.held
	for {
		select {
		case <-d.ready:
			return watchReady
		case <-d.started:
			return watchStarted
		case <-held:
			hold()
			held = nil
		case <-d.ctx.Done():
			return watchStopped
		case <-ctx.Done():
			return watchCancelled
		}
	}
}

// watch looks at d's readiness until it is ready, from every ReadyPoll
// to every maxReadyPoll; a Reconcile makes it look again at once. It
// watches across restarts: a service slow to be ready may crash on the
// way.
func (sv *Supervisor) watch(ctx context.Context, d *runner, hold func()) int {
	sv.mu.Lock()
	sv.watching++
	changed := sv.changed
	sv.mu.Unlock()
	defer func() {
		sv.mu.Lock()
		sv.watching--
		sv.mu.Unlock()
	}()
	poll := ReadyPoll
	for {
		on := sv.readyOn(d)
		if on == nil || sv.Ready == nil || sv.Ready(d.spec.Node, on) {
			d.markReady()
			return watchReady
		}
		hold()
		nudged := false
		t := time.NewTimer(poll)
		select {
		case <-d.ready:
		case <-d.ctx.Done():
		case <-d.ended:
		case <-ctx.Done():
		case <-changed:
			// A Reconcile: up may have seen it ready.
			sv.mu.Lock()
			changed = sv.changed
			sv.mu.Unlock()
			nudged = true
		case <-t.C:
		}
		t.Stop()
		switch {
		case isClosed(d.ready):
			return watchReady
		case ctx.Err() != nil:
			return watchCancelled
		case d.ctx.Err() != nil:
			return watchStopped
		case isClosed(d.ended):
			return watchEnded
		}
		poll = min(2*poll, maxReadyPoll)
		if nudged {
			poll = ReadyPoll
		}
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
