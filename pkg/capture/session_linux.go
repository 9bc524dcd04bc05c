package capture

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/node"
)

// ErrLabDown is what Options.Open returns when the lab is no longer
// up; a capture that learns it ends.
var ErrLabDown = errors.New("the lab is down")

// Options configure a capture.
type Options struct {
	// Lab is the lab's name, for the file's interface descriptions.
	Lab string
	// Open opens a node's namespace, refusing one the lab does not own;
	// an error wrapping ErrLabDown once the lab is gone.
	Open func(node string) (*node.Namespace, error)
	// Filter selects the frames kept; nil keeps all.
	Filter *Filter
	// Sinks receive the frames.
	Sinks []Sink
	// Count ends the capture after that many frames (0: no limit).
	Count int
	// RingSize is the kernel buffer of each interface, in bytes (0:
	// DefaultRingSize for the number of interfaces).
	RingSize int
	// StateDir is the lab's state directory: a change there makes the
	// capture look at the nodes again at once ("" for none).
	StateDir string
	// NewNodes, when set, is asked after every change of the machine's
	// namespaces for the selections of nodes that may have joined the
	// lab since (--all takes the hosts added by a later up); nodes
	// already captured are left out.
	NewNodes func() []Selection
	// Notes receives a line when an interface appears or goes, and
	// when the capture ends by itself; nil for none.
	Notes io.Writer
}

// maxHeld bounds the bytes waiting to be put in order.
const maxHeld = 64 << 20

// DefaultRingSize is the kernel buffer of each of n interfaces: 8 MiB
// (tcpdump's is 2 MiB), less when many share 32 MiB, at least 1 MiB.
func DefaultRingSize(n int) int {
	return min(max(32<<20/max(n, 1), 1<<20), 8<<20)
}

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
	s.ringSize = opts.RingSize
	if s.ringSize == 0 {
		s.ringSize = DefaultRingSize(expectedInterfaces(sels))
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

// attachAll opens every node's namespace and binds its rings, nodes in
// parallel (most of the time goes to the kernel's grace periods, which
// overlap), then starts the streams in the order of sels, so that
// interface ids follow the command line. On error the nodes prepared
// are kept in s.nodes for shutdown.
func (s *Session) attachAll(sels []Selection) error {
	nodes := make([]*nodeCap, len(sels))
	ready := make([]*attachment, len(sels))
	errs := make([]error, len(sels))
	var wg sync.WaitGroup
	limit := make(chan struct{}, 16)
	for i, sel := range sels {
		nodes[i] = &nodeCap{s: s, sel: sel}
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			ns, err := s.opts.Open(sel.Node)
			if err == nil {
				ready[i], err = nodes[i].prepare(ns)
			}
			if err != nil {
				errs[i] = fmt.Errorf("node %s: %w", sel.Node, err)
			}
		})
	}
	wg.Wait()
	s.nodesMu.Lock()
	defer s.nodesMu.Unlock()
	for i, n := range nodes {
		if ready[i] != nil {
			n.commit(ready[i], false)
			s.nodes = append(s.nodes, n)
		}
	}
	return errors.Join(errs...)
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

// expectedInterfaces guesses how many interfaces sels will capture, to
// share the kernel buffers: named ones, and four per whole node.
func expectedInterfaces(sels []Selection) int {
	n := 0
	for _, s := range sels {
		if s.All {
			n += 4
		} else {
			n += len(s.Ifaces)
		}
	}
	return n
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

// addStream starts reading ring, which captures iface of node, and
// tells the sinks about it first.
func (s *Session) addStream(nodeName, iface string, ifindex int, r *ring) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &stream{
		id: len(s.streams), name: nodeName + ":" + iface, ifindex: ifindex, r: r,
		match: s.opts.Filter.Matcher(), started: time.Now(), done: make(chan struct{}),
	}
	st.last = st.started
	s.streams = append(s.streams, st)
	s.wrote = append(s.wrote, 0)
	s.active++
	desc := fmt.Sprintf("lab %s, node %s, interface %s", s.opts.Lab, nodeName, iface)
	for _, k := range s.opts.Sinks {
		err := k.AddInterface(st.id, Interface{Name: st.name, Description: desc, Filter: s.opts.Filter.String(), Snaplen: Snaplen})
		if err != nil {
			s.end(err)
		}
	}
	go st.run(s.deliver)
	return st
}

// streamEnded counts a stream that has stopped reading.
func (s *Session) streamEnded(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
}

// deliver takes the frames of one block of st. With one stream and
// nothing waiting they go straight to the sinks; otherwise they are
// copied to wait for the merge.
func (s *Session) deliver(st *stream, batch []Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	st.last = batch[len(batch)-1].Time
	if s.active <= 1 && s.merge.len() == 0 {
		s.writeBatch(batch)
		return
	}
	total := 0
	for i := range batch {
		total += len(batch[i].Data)
	}
	slab := make([]byte, total)
	for _, fr := range batch {
		n := copy(slab, fr.Data)
		fr.Data, slab = slab[:n:n], slab[n:]
		s.merge.push(fr)
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// write hands one frame to every sink; false once the capture has
// ended (Count reached, a sink failed). s.mu must be held.
func (s *Session) write(fr *Frame) bool {
	if s.ended {
		return false
	}
	for _, k := range s.opts.Sinks {
		if err := k.WriteFrame(fr); err != nil {
			s.end(err)
			return false
		}
	}
	s.written++
	s.wrote[fr.Iface]++
	if s.opts.Count > 0 && s.written >= s.opts.Count {
		s.flush()
		s.end(nil)
		return false
	}
	return true
}

// writeBatch hands frames in order to every sink (as a whole to those
// that take batches), up to Count, then flushes. s.mu must be held.
func (s *Session) writeBatch(batch []Frame) {
	if s.ended {
		return
	}
	if s.opts.Count > 0 {
		batch = batch[:min(len(batch), s.opts.Count-s.written)]
	}
	for _, k := range s.opts.Sinks {
		var err error
		if bk, ok := k.(batchSink); ok {
			err = bk.WriteFrames(batch)
		} else {
			for i := range batch {
				if err = k.WriteFrame(&batch[i]); err != nil {
					break
				}
			}
		}
		if err != nil {
			s.end(err)
			return
		}
	}
	s.written += len(batch)
	for i := range batch {
		s.wrote[batch[i].Iface]++
	}
	s.flush()
	if s.opts.Count > 0 && s.written >= s.opts.Count {
		s.end(nil)
	}
}

// flush flushes every sink. s.mu must be held.
func (s *Session) flush() {
	for _, k := range s.opts.Sinks {
		if err := k.Flush(); err != nil {
			s.end(err)
		}
	}
}

// mergeTick is how often waiting frames are looked at again.
const mergeTick = 5 * time.Millisecond

// output lets frames out of the merge as soon as no stream can still
// bring an older one.
func (s *Session) output() {
	defer s.out.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []Frame
	for {
		select {
		case <-s.kick:
		case <-timer.C:
		case <-s.quit:
			return
		}
		s.mu.Lock()
		wm := s.watermark(time.Now())
		due = due[:0]
		for {
			fr, ok := s.merge.pop(wm, false)
			if !ok {
				break
			}
			due = append(due, fr)
		}
		if len(due) > 0 {
			s.writeBatch(due)
		}
		waiting := s.merge.len() > 0
		s.mu.Unlock()
		if waiting {
			timer.Reset(mergeTick)
		} else {
			timer.Reset(time.Hour)
		}
	}
}

// watermark is the time up to which every stream has delivered all it
// had (see stream.caughtUp). s.mu must be held.
func (s *Session) watermark(now time.Time) time.Time {
	wm := now
	for _, st := range s.streams {
		if t := st.caughtUp(now); t.Before(wm) {
			wm = t
		}
	}
	return wm
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
