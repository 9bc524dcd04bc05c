package capture

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Session is a running capture.
type Session struct {
	opts     Options
	ringSize int
	mounts   *mountWatch

	nodesMu sync.Mutex // guards nodes, which the watch of mounts extends
	nodes   []*nodeCap

	mu      sync.Mutex // guards what follows, and the sinks
	streams []*stream  // by id
	active  int        // streams still reading
	merge   merger
	written int
	wrote   []uint64 // frames written, by interface id
	ended   bool
	err     error
	done    chan struct{} // closed when the capture ends by itself

	kick chan struct{}
	quit chan struct{}
	out  sync.WaitGroup
}

// Start opens a packet socket with its ring on every selected
// interface that exists, each bound before Start returns: a frame sent
// after it returns is captured. Interfaces named but not there yet,
// and any that appear later in a node captured whole, are picked up
// when they appear; streams end when their interface or node goes.
func Start(sels []Selection, opts Options) (*Session, error) {
	s := &Session{
		opts: opts, done: make(chan struct{}), kick: make(chan struct{}, 1), quit: make(chan struct{}),
		merge: merger{maxHeld: maxHeld},
	}
	mw, err := watchMounts(opts.StateDir)
	if err != nil {
		return nil, err
	}
	s.mounts = mw
	if err := s.attachAll(sels); err != nil {
		s.shutdown(false)
		return nil, err
	}
	s.out.Add(1)
	go s.output()
	s.mounts.start(s.recheck)
	return s, nil
}

// attachAll opens every node's namespace and lists its interfaces,
// sizes the rings for all of them, binds them, nodes in parallel (most
// of the time goes to the kernel's grace periods, which overlap), then
// starts the streams in the order of sels, so that interface ids
// follow the command line. When a node fails, nothing starts: every
// error is returned, one line per node.
func (s *Session) attachAll(sels []Selection) error {
	nodes := make([]*nodeCap, len(sels))
	ready := make([]*attachment, len(sels))
	errs := make([]error, len(sels))
	each := func(step func(i int) error) {
		var wg sync.WaitGroup
		limit := make(chan struct{}, 16)
		for i := range sels {
			if errs[i] != nil {
				continue
			}
			wg.Go(func() {
				limit <- struct{}{}
				defer func() { <-limit }()
				if err := step(i); err != nil {
					errs[i] = fmt.Errorf("node %s: %w", sels[i].Node, err)
				}
			})
		}
		wg.Wait()
	}
	each(func(i int) error {
		nodes[i] = &nodeCap{s: s, sel: sels[i]}
		ns, err := s.opts.Open(sels[i].Node)
		if err == nil {
			ready[i], err = nodes[i].prepare(ns)
		}
		return err
	})
	total := 0
	for _, a := range ready {
		if a != nil {
			total += len(a.want)
		}
	}
	s.ringSize = s.opts.RingSize
	if s.ringSize == 0 {
		s.ringSize = defaultRingSize(total)
	}
	each(func(i int) error { return nodes[i].bind(ready[i]) })
	if err := errors.Join(errs...); err != nil {
		for _, a := range ready {
			if a != nil {
				a.discard()
			}
		}
		return err
	}
	s.nodesMu.Lock()
	defer s.nodesMu.Unlock()
	for i, n := range nodes {
		n.commit(ready[i], false)
		s.nodes = append(s.nodes, n)
	}
	return nil
}

// allNodes is a copy of the list of nodes.
func (s *Session) allNodes() []*nodeCap {
	s.nodesMu.Lock()
	defer s.nodesMu.Unlock()
	return append([]*nodeCap(nil), s.nodes...)
}

// addNewNodes starts capturing the nodes NewNodes names that are not
// captured yet; each node starts as a recheck would, when its
// namespace is there (now or later).
func (s *Session) addNewNodes() {
	if s.opts.NewNodes == nil {
		return
	}
	have := map[string]bool{}
	for _, n := range s.allNodes() {
		have[n.sel.Node] = true
	}
	for _, sel := range s.opts.NewNodes() {
		if have[sel.Node] {
			continue
		}
		n := &nodeCap{s: s, sel: sel}
		s.nodesMu.Lock()
		s.nodes = append(s.nodes, n)
		s.nodesMu.Unlock()
		s.note("node %s: joined the lab; capturing it", sel.Node)
	}
}

// recheck looks at every node's namespace (see nodeCap.recheck).
func (s *Session) recheck() {
	s.addNewNodes()
	for _, n := range s.allNodes() {
		n.recheck()
	}
}

// Interfaces lists the names of the interfaces being captured now.
func (s *Session) Interfaces() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, st := range s.streams {
		if !st.gone.Load() {
			out = append(out, st.name)
		}
	}
	return out
}

// Waiting lists the interfaces named but not there (yet).
func (s *Session) Waiting() []string {
	var out []string
	for _, n := range s.allNodes() {
		out = append(out, n.waitingFor()...)
	}
	return out
}

// Done is closed when the capture ends by itself: Count frames
// written, a sink that failed (a reader that went away), or the lab
// gone. Err says which.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the capture ended by itself; nil for Count reached.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// end marks the capture ended, once, with why (nil for Count reached).
// s.mu must be held.
func (s *Session) end(why error) {
	if !s.ended {
		s.ended, s.err = true, why
		close(s.done)
	}
}

// note writes a line to Notes.
func (s *Session) note(format string, args ...any) {
	if s.opts.Notes != nil {
		fmt.Fprintf(s.opts.Notes, format+"\n", args...)
	}
}

// drainTime is how long a stopping capture goes on reading: long
// enough for the kernel to hand over the block it was filling.
const drainTime = 3 * retireTimeout

// Stop ends the capture and returns the counts of every interface. With
// drain it first reads what the kernel received up to now (Ctrl-C,
// --timeout); without, it stops at once (Count reached). The frames
// still waiting for the merge go out in order, then the sinks get the
// counts. Call it once, after Start.
func (s *Session) Stop(drain bool) []IfaceStats {
	s.shutdown(drain)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		fr, ok := s.merge.pop(time.Time{}, true)
		if !ok || !s.write(&fr) {
			break
		}
	}
	end := time.Now()
	stats := make([]IfaceStats, len(s.streams))
	for i, st := range s.streams {
		stats[i] = IfaceStats{Name: st.name, Captured: s.wrote[i], Seen: st.seen, Dropped: st.drops,
			Start: st.started, End: end, Gone: st.gone.Load()}
	}
	for _, k := range s.opts.Sinks {
		if err := k.Finish(stats); err != nil && s.err == nil {
			s.err = err
		}
	}
	return stats
}

// shutdown stops following namespaces and interfaces, ends every
// stream (after reading for drainTime with drain), stops the output
// and closes the namespaces.
func (s *Session) shutdown(drain bool) {
	s.mounts.close()
	nodes := s.allNodes()
	for _, n := range nodes {
		n.stopWatching()
	}
	deadline := time.Now()
	if drain {
		deadline = deadline.Add(drainTime)
	}
	s.mu.Lock()
	streams := append([]*stream(nil), s.streams...)
	s.mu.Unlock()
	for _, st := range streams {
		st.stop.Do(func() { st.r.setDeadline(deadline) })
	}
	for _, st := range streams {
		<-st.done
	}
	close(s.quit)
	s.out.Wait()
	for _, n := range nodes {
		n.close()
	}
}
