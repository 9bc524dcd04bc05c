package capture

import (
	"sync"
	"sync/atomic"
	"time"
)

// stream is the capture of one interface: a goroutine reading its ring
// and handing the frames the filter passes to the session.
type stream struct {
	id      int // capture-wide interface id (the pcapng one)
	name    string
	ifindex int
	r       *ring
	match   func([]byte) bool
	started time.Time

	captured atomic.Uint64 // frames the filter passed
	stop     sync.Once
	done     chan struct{} // closed when the goroutine has ended
	// gone is set when the interface (or its node) went away, before
	// the stream is stopped.
	gone atomic.Bool
	// seen and drops are the ring's statistics, set when done.
	seen, drops uint64

	// last is the time of the last frame the stream has handled,
	// passed by the filter or not (at first, its start); the session's
	// mutex guards it.
	last time.Time
	// mu guards closed, set once the ring is unmapped.
	mu     sync.Mutex
	closed bool
}

// run reads blocks until the ring is interrupted or its deadline
// passes, handing each block's frames that pass the filter to deliver
// with the time of the block's last frame (the stream's progress, also
// when the filter passed none), then closes the ring.
func (st *stream) run(deliver func(st *stream, batch []Frame, last time.Time)) {
	defer close(st.done)
	var batch []Frame
	for blocks := 1; ; blocks++ {
		b, err := st.r.wait()
		if err != nil {
			break
		}
		batch = batch[:0]
		var last time.Time
		frames(b, func(fr Frame) {
			last = fr.Time
			if st.match(fr.Data) {
				fr.Iface = st.id
				batch = append(batch, fr)
			}
		})
		st.captured.Add(uint64(len(batch)))
		if !last.IsZero() {
			deliver(st, batch, last)
		}
		st.r.release(b)
		if blocks%256 == 0 {
			// The kernel's counters are 32 bits: read them now and then.
			st.r.readStats()
		}
	}
	st.mu.Lock()
	st.r.close()
	st.closed = true
	st.mu.Unlock()
	st.seen, st.drops = st.r.seen, st.r.drops
}

// retireBound is how late, at most, the kernel hands over a block that
// is not full: the retire timeout, rounded up to the kernel's clock
// ticks, and slack for a busy machine.
const retireBound = 5 * retireTimeout

// caughtUp returns the time up to which the stream has delivered every
// frame the kernel had for it: the time of its last frame while the
// kernel has handed over blocks the reader has not finished, else now
// less retireBound (an older frame would be in such a block). A
// stream that has ended holds nothing back. The session's mutex must
// be held (for last).
func (st *stream) caughtUp(now time.Time) time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.closed:
		return now.Add(time.Hour)
	case st.r.pending():
		return st.last
	}
	return now.Add(-retireBound)
}

// end stops the stream once every frame received before the deadline
// has been read (the kernel hands a partly filled block over within
// retireTimeout), and waits for it.
func (st *stream) end(deadline time.Time) {
	st.stop.Do(func() { st.r.setDeadline(deadline) })
	<-st.done
}

// endNow stops the stream at once, and waits for it.
func (st *stream) endNow() {
	st.stop.Do(st.r.interrupt)
	<-st.done
}
