package ui

import (
	"context"
	"encoding/json"
	"time"

	"github.com/topo-lab/topo/pkg/graph"
)

// fullFactor is how many times as long as the last whole read of the
// lab (the code of topo status) a watched live view waits before the
// next one, which only drift and what no event tells need: on a lab
// of a thousand nodes, a read that takes half a second to a few
// seconds (and about a second of CPU) comes every one to five minutes,
// about 1% of a core.
const fullFactor = 100

// feedState is what a live view last sent, to send only what changed.
type feedState struct {
	s                  *Server
	f                  *feed
	name               string
	labs, graph, err   string
	pic                *graph.Graph
	states             map[string]Counter
	prev               map[string]Counter
	prevAt             time.Time
	fullCost, fullWait time.Duration
	fullAt             time.Time // when the last whole read ended
}

// pollWatch is poll for a Backend that is a Watcher: the interfaces'
// states come from the kernel's events, as they change, and redraw the
// picture at once (graph.Restate, without reading the lab again); the
// counters are read every other Poll for the traffic (one small dump
// per node at an end of a link drawn: on a large lab, hosts are grouped
// and theirs are not); the whole lab is read when the watch ends (the lab's state
// was written, or it went down), when an interface or node came or
// went, soon after an address or route was added or removed
// (Reconfigured: at most once per five times a read's cost), and
// otherwise every FullEvery, or fullFactor times what the last whole
// read took, whichever is longer. Idle, it costs next to
// nothing between those reads.
func (s *Server) pollWatch(ctx context.Context, name string, f *feed, wb Watcher) {
	fs := &feedState{s: s, f: f, name: name}
	for ctx.Err() == nil {
		fs.publishLabs()
		w, err := wb.Watch(ctx, name)
		if err != nil && fs.full(ctx) {
			// Up now: it may have come up meanwhile; else it cannot be
			// watched (e.g. no inotify instance left), and is read
			// again and again, as without a Watcher.
			if w, err = wb.Watch(ctx, name); err != nil {
				s.pollRead(ctx, name, f)
				return
			}
		}
		if err != nil {
			// Not up: say why (full did), and look again later.
			sleep(ctx, 4*s.o.Poll)
			continue
		}
		fs.watch(ctx, w)
		w.Close()
	}
}

// watch follows one watch until it ends or ctx does.
func (fs *feedState) watch(ctx context.Context, w LabWatch) {
	if !fs.full(ctx) {
		sleep(ctx, 4*fs.s.o.Poll)
		return
	}
	fs.states = nil
	if cur, err := w.Counters(ctx, nil); err == nil {
		fs.restate(cur)
		fs.traffic(cur)
	}
	every := 2 * fs.s.o.Poll
	traffic := time.NewTimer(every)
	defer traffic.Stop()
	drift := time.NewTimer(fs.fullWait)
	defer drift.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Done():
			// The lab's state was written or removed: what the watch
			// saw last first (a link taken down just before), then the
			// whole lab, and a new watch.
			fs.restate(w.Snapshot())
			return
		case <-w.Changed():
			if !fs.restate(w.Snapshot()) {
				return // an interface came or went: read the whole lab
			}
		case <-traffic.C:
			start := time.Now()
			cur, err := w.Counters(ctx, fs.drawn())
			if err != nil {
				return
			}
			if !fs.restate(cur) {
				return
			}
			fs.traffic(cur)
			fs.publishLabs()
			// At least five times what this read took, as poll does.
			traffic.Reset(max(every, 5*time.Since(start)))
		case <-w.Reconfigured():
			// An address or route changed: read the whole lab soon, but
			// not more often than five times what a read takes (a
			// routing daemon's burst of routes costs one read).
			drift.Reset(max(0, 5*fs.fullCost-time.Since(fs.fullAt)))
		case <-drift.C:
			fs.full(ctx)
			drift.Reset(fs.fullWait)
		}
	}
}

// full reads and sends the whole picture (or why there is none); it
// reports whether there is one.
func (fs *feedState) full(ctx context.Context) bool {
	start := time.Now()
	g, err := fs.s.o.Backend.Picture(ctx, fs.name)
	fs.fullCost, fs.fullAt = time.Since(start), time.Now()
	fs.fullWait = max(fs.s.o.FullEvery, fullFactor*fs.fullCost)
	if err != nil {
		fs.pic = nil
		if err.Error() != fs.err {
			fs.err, fs.graph = err.Error(), ""
			eb, _ := json.Marshal(map[string]string{"error": err.Error()})
			fs.s.publish(fs.f, frame{"error", eb})
		}
		return false
	}
	fs.err, fs.pic = "", g
	fs.sendGraph(g)
	return true
}

func (fs *feedState) sendGraph(g *graph.Graph) {
	gb, _ := json.Marshal(g)
	if string(gb) != fs.graph {
		fs.graph = string(gb)
		fs.s.publish(fs.f, frame{"graph", gb})
	}
}

// restate redraws the picture with the interfaces' states in cur when
// they changed. It reports false when an interface came or went since
// the last states (the picture must be read whole).
func (fs *feedState) restate(cur map[string]Counter) bool {
	if fs.states != nil && len(cur) != len(fs.states) {
		return false
	}
	changed := fs.states == nil
	states := make(map[string]string, len(cur))
	for k, c := range cur {
		p, ok := fs.states[k]
		if fs.states != nil && !ok {
			return false
		}
		changed = changed || p.State != c.State
		states[k] = c.State
	}
	fs.states = cur
	if changed && fs.pic != nil {
		fs.pic = graph.Restate(fs.pic, states)
		fs.sendGraph(fs.pic)
	}
	return true
}

// drawn is the nodes at an end of a link the picture draws alone, whose
// counters the traffic shows; nil (all) without a picture.
func (fs *feedState) drawn() map[string]bool {
	if fs.pic == nil {
		return nil
	}
	out := map[string]bool{}
	for _, l := range fs.pic.Links {
		if l.Count == 0 {
			out[l.A.Node], out[l.B.Node] = true, true
		}
	}
	return out
}

// traffic sends the rates since the last counters, of the interfaces
// the page draws a rate for (the ends of the links drawn alone: on a
// large lab, hosts are grouped and their links drawn as one line).
func (fs *feedState) traffic(cur map[string]Counter) {
	now := time.Now()
	if fs.prev != nil {
		r := rates(fs.prev, cur, now.Sub(fs.prevAt))
		if fs.pic != nil {
			drawn := map[string]Rate{}
			for _, l := range fs.pic.Links {
				for _, e := range []graph.End{l.A, l.B} {
					k := e.Node + ":" + e.Iface
					if rt, ok := r[k]; ok && l.Count == 0 {
						drawn[k] = rt
					}
				}
			}
			r = drawn
		}
		tb, _ := json.Marshal(r)
		fs.s.publish(fs.f, frame{"traffic", tb})
	}
	fs.prev, fs.prevAt = cur, now
}

func (fs *feedState) publishLabs() {
	labs, _ := fs.s.o.Backend.Labs()
	if lb, _ := json.Marshal(labs); string(lb) != fs.labs {
		fs.labs = string(lb)
		fs.s.publish(fs.f, frame{"labs", lb})
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
