package capture

import (
	"fmt"
	"time"
)

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

// deliver takes the frames of one block of st that the filter passed,
// and the time of the block's last frame. With one stream and nothing
// waiting they go straight to the sinks; otherwise they are copied to
// wait for the merge, which st's progress may let frames out of.
func (s *Session) deliver(st *stream, batch []Frame, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	st.last = last
	if len(batch) == 0 && s.merge.len() == 0 {
		return
	}
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
