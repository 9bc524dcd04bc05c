package probe

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ProbeAll gives Probe's verdict on every destination of dsts, in
// order, from one loop: it sends the echo requests on the Prober's raw
// ICMP sockets, at most window outstanding (window <= 0: 64), while the
// sockets' readers hand it the answers, and sends a request again when
// its Timeout passes, up to Attempts. Nothing is read before sending:
// the route (Result's Iface, NextHop and Src) is looked up, and a
// silent next hop explained, only for the destinations that failed
// (reached ones report none). Cancelling ctx fails the destinations
// not yet answered with ReasonError. Not for concurrent use with other
// calls on the same Prober.
func (p *Prober) ProbeAll(ctx context.Context, dsts []netip.Addr, window int) []Result {
	if window <= 0 {
		window = 64
	}
	b := &batch{p: p, dsts: dsts, res: make([]Result, len(dsts)), window: window,
		inflight: map[echoKey]flight{}, notify: make(chan struct{}, 1)}
	for i, d := range dsts {
		b.dsts[i] = d.Unmap()
		b.res[i].To = b.dsts[i]
	}
	b.run(ctx)
	p.explainFailures(ctx, b.res)
	return b.res
}

// batch is the state of one ProbeAll.
type batch struct {
	p      *Prober
	dsts   []netip.Addr
	res    []Result
	window int

	next     int         // the next destination never sent
	tries    map[int]int // requests sent per destination, when more than one may be
	retry    []int       // destinations to send again
	inflight map[echoKey]flight
	done     int
	blocked  time.Time // no queue room until then (ENOBUFS)

	mu     sync.Mutex
	queue  []stackAnswer
	notify chan struct{}
}

// flight is one outstanding request.
type flight struct {
	i    int
	sock *stackSocket
	sent time.Time
	try  int
}

// put is the sockets' readers' way in: it queues an answer and never
// blocks.
func (b *batch) put(a stackAnswer) {
	b.mu.Lock()
	b.queue = append(b.queue, a)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

func (b *batch) run(ctx context.Context) {
	defer func() {
		for k, f := range b.inflight {
			f.sock.unwait(k)
		}
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for b.done < len(b.dsts) {
		if err := ctx.Err(); err != nil {
			b.cancel(err)
			return
		}
		// Answers and expiries first: what they free in the window is
		// sent before waiting, or a window emptied by this round's
		// answers would wait for the timer (a whole Timeout when
		// nothing else is in flight).
		b.take()
		b.expire(time.Now())
		b.send()
		if b.done == len(b.dsts) {
			return
		}
		timer.Reset(b.wake())
		select {
		case <-b.notify:
		case <-timer.C:
		case <-ctx.Done():
		}
	}
}

// send sends requests until window are outstanding, the destinations
// run out, or the socket's queue is full.
func (b *batch) send() {
	if time.Now().Before(b.blocked) {
		return
	}
	for len(b.inflight) < b.window {
		i, again := -1, false
		switch {
		case len(b.retry) > 0:
			i, again = b.retry[0], true
		case b.next < len(b.dsts):
			i = b.next
		default:
			return
		}
		switch err := b.sendOne(i); {
		case errors.Is(err, unix.ENOBUFS):
			// No queue room: the request never left; try again shortly.
			b.blocked = time.Now().Add(sendRetry)
			return
		case err != nil:
			b.finish(i, stackMsg{}, err)
		}
		if again {
			b.retry = b.retry[1:]
		} else {
			b.next++
		}
	}
}

// sendOne sends a request to destination i, with a sequence number of
// its own, and waits for its answers.
func (b *batch) sendOne(i int) error {
	dst := b.dsts[i]
	s, err := b.p.stack(dst.Is6())
	if err != nil {
		return err
	}
	k := echoKey{b.p.id, uint16(b.p.seq.Add(1))}
	if err := s.wait(k, b.put); err != nil {
		return err
	}
	sent := time.Now()
	if err := s.sendTo(echoMessage(s.v6, k.id, k.seq, b.p.cookie), dst); err != nil {
		s.unwait(k)
		return err
	}
	try := 1
	if b.tries != nil {
		b.tries[i]++
		try = b.tries[i]
	} else if b.p.opts.Attempts > 1 {
		b.tries = map[int]int{i: 1}
	}
	b.inflight[k] = flight{i: i, sock: s, sent: sent, try: try}
	return nil
}

// take matches the answers queued so far with their requests.
func (b *batch) take() {
	b.mu.Lock()
	q := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, a := range q {
		k := echoKey{a.msg.id, a.msg.seq}
		f, ok := b.inflight[k]
		if !ok || !answers(a.msg, b.dsts[f.i], b.p.cookie) {
			continue
		}
		delete(b.inflight, k)
		f.sock.unwait(k)
		if a.msg.err == nil {
			b.res[f.i].RTT = a.at.Sub(f.sent)
		}
		b.finish(f.i, a.msg, nil)
	}
}

// expire gives up on the requests older than the Timeout: sent again
// while attempts remain, else no answer.
func (b *batch) expire(now time.Time) {
	for k, f := range b.inflight {
		if now.Sub(f.sent) < b.p.opts.Timeout {
			continue
		}
		delete(b.inflight, k)
		f.sock.unwait(k)
		if f.try < b.p.opts.Attempts {
			b.retry = append(b.retry, f.i)
			continue
		}
		b.finish(f.i, stackMsg{}, errNoAnswer)
	}
}

// wake is how long to wait before looking at the clock again: until
// the oldest request's Timeout, or the end of a full queue's pause.
func (b *batch) wake() time.Duration {
	now := time.Now()
	d := b.p.opts.Timeout
	for _, f := range b.inflight {
		d = min(d, f.sent.Add(b.p.opts.Timeout).Sub(now))
	}
	if now.Before(b.blocked) {
		d = min(d, b.blocked.Sub(now))
	}
	return max(d, time.Millisecond)
}

// finish records destination i's verdict.
func (b *batch) finish(i int, m stackMsg, err error) {
	r := &b.res[i]
	if err = b.p.verdict(b.dsts[i], m, err); err != nil {
		setFailure(r, err)
	} else {
		r.Reached, r.TTL = true, m.ttl
	}
	b.done++
}

// cancel fails every destination without a verdict yet.
func (b *batch) cancel(err error) {
	has := make([]bool, len(b.dsts))
	for i := range b.res {
		has[i] = b.res[i].Reached || b.res[i].Reason != ""
	}
	for i := range b.res {
		if !has[i] {
			b.res[i].Reason, b.res[i].Error = ReasonError, err.Error()
		}
	}
	b.done = len(b.dsts)
}

// explainFailures looks up the route of every failed destination and,
// for an unanswered echo, reads the next hop's neighbour entry (see
// explainSilence), at most 16 at once: a silent next hop may take the
// Timeout to confirm.
func (p *Prober) explainFailures(ctx context.Context, res []Result) {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range res {
		r := &res[i]
		if r.Reached || r.Reason == ReasonError {
			continue
		}
		rt, err := p.route(r.To)
		if err != nil {
			continue
		}
		r.Iface, r.NextHop, r.Src = rt.Iface, rt.NextHop(), rt.Src
		if r.Reason != ReasonICMP || ctx.Err() != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p.explainSilence(ctx, r, rt)
		}()
	}
	wg.Wait()
}
