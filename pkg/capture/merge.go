package capture

import (
	"container/heap"
	"time"
)

// merger puts the frames of many interfaces in time order. Each
// interface hands its frames over in time order, but in batches and
// late (a ring hands a block over when it is full or its retire
// timeout passes, and its reader may wait for a CPU), so a frame may
// only leave once no interface can still bring an older one: when its
// time is at most the watermark, the earliest time up to which every
// interface is known to have handed over all it had (see
// Session.watermark). When more than maxHeld bytes wait, the oldest
// leave early rather than memory growing without bound. Frames with
// the same time leave in the order they came. Not safe for concurrent
// use.
type merger struct {
	maxHeld int
	h       frameHeap
	held    int
	seq     uint64
}

// push adds a frame; the merger keeps fr.Data.
func (m *merger) push(fr Frame) {
	m.seq++
	heap.Push(&m.h, queued{fr, m.seq})
	m.held += len(fr.Data)
}

// pop returns the oldest frame if its time is at most watermark (or
// all is set, or too much is held), and false when none may leave.
func (m *merger) pop(watermark time.Time, all bool) (Frame, bool) {
	if len(m.h) == 0 {
		return Frame{}, false
	}
	if !all && m.held <= m.maxHeld && m.h[0].fr.Time.After(watermark) {
		return Frame{}, false
	}
	q := heap.Pop(&m.h).(queued)
	m.held -= len(q.fr.Data)
	return q.fr, true
}

// len is the number of frames waiting.
func (m *merger) len() int { return len(m.h) }

// queued is a frame and its arrival number, which breaks ties.
type queued struct {
	fr  Frame
	seq uint64
}

// frameHeap is a min-heap of frames by time, then arrival.
type frameHeap []queued

func (h frameHeap) Len() int { return len(h) }
func (h frameHeap) Less(i, j int) bool {
	if !h[i].fr.Time.Equal(h[j].fr.Time) {
		return h[i].fr.Time.Before(h[j].fr.Time)
	}
	return h[i].seq < h[j].seq
}
func (h frameHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)   { *h = append(*h, x.(queued)) }
func (h *frameHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = queued{}
	*h = old[:len(old)-1]
	return q
}
