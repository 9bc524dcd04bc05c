package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// sse starts a Server-Sent Events stream; send writes one event.
func sse(w http.ResponseWriter) (send func(event string, data []byte) bool, ok bool) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "streaming is not supported by this connection")
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	return func(event string, data []byte) bool {
		var b bytes.Buffer
		fmt.Fprintf(&b, "event: %s\n", event)
		for _, line := range strings.Split(string(data), "\n") {
			fmt.Fprintf(&b, "data: %s\n", line)
		}
		b.WriteString("\n")
		if _, err := w.Write(b.Bytes()); err != nil {
			return false
		}
		fl.Flush()
		return true
	}, true
}

// events streams a lab's live view: "graph" (the picture, whenever it
// changes), "traffic" (per-link rates, every poll), "labs" (the labs
// that are up, when they change) and "error" (why the lab cannot be
// drawn, e.g. it went down). Every page of one lab shares one feed.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	send, ok := sse(w)
	if !ok {
		return
	}
	ch, initial, leave := s.join(name)
	defer leave()
	for _, f := range initial {
		if !send(f.event, f.data) {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case f, ok := <-ch:
			if !ok {
				return // too slow a reader: the page's EventSource reconnects
			}
			if !send(f.event, f.data) {
				return
			}
		}
	}
}

// frame is one Server-Sent Event.
type frame struct {
	event string
	data  []byte
}

// feed polls one lab for all the pages that show it, while any does.
type feed struct {
	subs map[chan frame]bool
	// last holds the latest labs, graph or error frame, for a page that
	// joins later.
	last   map[string]frame
	cancel context.CancelFunc
}

// join subscribes to a lab's feed, starting it if needed; it returns
// the frames to send first and the function that leaves.
func (s *Server) join(name string) (chan frame, []frame, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[name]
	if f == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feed{subs: map[chan frame]bool{}, last: map[string]frame{}, cancel: cancel}
		s.feeds[name] = f
		go s.poll(ctx, name, f)
	}
	ch := make(chan frame, 64)
	f.subs[ch] = true
	var initial []frame
	for _, ev := range []string{"labs", "error", "graph"} {
		if fr, ok := f.last[ev]; ok {
			initial = append(initial, fr)
		}
	}
	return ch, initial, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if f.subs[ch] {
			delete(f.subs, ch)
			close(ch)
		}
		if len(f.subs) == 0 && s.feeds[name] == f {
			f.cancel()
			delete(s.feeds, name)
		}
	}
}

// publish sends a frame to every page of the feed; a page whose buffer
// is full is dropped (its EventSource reconnects and gets the latest).
func (s *Server) publish(f *feed, fr frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fr.event != "traffic" {
		f.last[fr.event] = fr
		if fr.event == "graph" {
			delete(f.last, "error")
		} else if fr.event == "error" {
			delete(f.last, "graph")
		}
	}
	for ch := range f.subs {
		select {
		case ch <- fr:
		default:
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// poll reads the lab every Poll (longer on a large lab, see wait), for
// a Backend that cannot watch it (see pollWatch): the counters (one link
// dump per node, cheap) always; the whole picture (the code of topo status) when an
// interface changed state, and at least every FullEvery for what the
// counters do not show (addresses, routes, drift, a new check). That
// periodic read waits at least 20 times as long as the last one took,
// so on a large lab it costs at most about 5% of a core. It sends only
// what changed.
func (s *Server) poll(ctx context.Context, name string, f *feed) {
	if wb, ok := s.o.Backend.(Watcher); ok {
		s.pollWatch(ctx, name, f, wb)
		return
	}
	s.pollRead(ctx, name, f)
}

// pollRead is poll by reading alone.
func (s *Server) pollRead(ctx context.Context, name string, f *feed) {
	var lastGraph, lastLabs, lastErr, lastStates string
	var prev map[string]Counter
	var prevAt, fullAt time.Time
	every := s.o.FullEvery
	for {
		start := time.Now()
		labs, _ := s.o.Backend.Labs()
		if lb, _ := json.Marshal(labs); string(lb) != lastLabs {
			lastLabs = string(lb)
			s.publish(f, frame{"labs", lb})
		}
		now := time.Now()
		cur, cerr := s.o.Backend.Counters(ctx, name)
		// The next read of the counters waits at least 5 times as long
		// as this one took: on a lab of a thousand nodes, reads come
		// every few seconds rather than taking a core.
		wait := max(s.o.Poll, 5*time.Since(now))
		states := stateKey(cur)
		if cerr != nil || states != lastStates || now.Sub(fullAt) >= every {
			lastStates, fullAt = states, now
			g, err := s.o.Backend.Picture(ctx, name)
			every = max(s.o.FullEvery, 20*time.Since(now))
			switch {
			case err != nil && err.Error() != lastErr:
				lastErr, lastGraph = err.Error(), ""
				eb, _ := json.Marshal(map[string]string{"error": err.Error()})
				s.publish(f, frame{"error", eb})
			case err == nil:
				lastErr = ""
				gb, _ := json.Marshal(g)
				if string(gb) != lastGraph {
					lastGraph = string(gb)
					s.publish(f, frame{"graph", gb})
				}
			}
		}
		if cerr == nil {
			if prev != nil {
				tb, _ := json.Marshal(rates(prev, cur, now.Sub(prevAt)))
				s.publish(f, frame{"traffic", tb})
			}
			prev, prevAt = cur, now
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait - time.Since(start)):
		}
	}
}

// stateKey is the state of every interface, in one comparable string.
func stateKey(cs map[string]Counter) string {
	keys := make([]string, 0, len(cs))
	for k, c := range cs {
		keys = append(keys, k+"="+c.State)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// rates turns two readings of the counters into rates per second,
// keyed by "node:iface".
func rates(prev, cur map[string]Counter, d time.Duration) map[string]Rate {
	out := map[string]Rate{}
	sec := d.Seconds()
	if sec <= 0 {
		return out
	}
	keys := make([]string, 0, len(cur))
	for k := range cur {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, p := cur[k], prev[k]
		diff := func(a, b uint64) float64 {
			if a < b { // counters reset: the interface was made again
				return 0
			}
			return float64(a - b)
		}
		out[k] = Rate{
			RxPPS: diff(c.RxPackets, p.RxPackets) / sec, TxPPS: diff(c.TxPackets, p.TxPackets) / sec,
			RxBPS: diff(c.RxBytes, p.RxBytes) * 8 / sec, TxBPS: diff(c.TxBytes, p.TxBytes) * 8 / sec,
			Dropped: c.RxDropped + c.TxDropped,
		}
	}
	return out
}

// maxCapture bounds the pcapng kept of one capture, and keptCaptures
// how many captures are kept for download.
const (
	maxCapture   = 32 << 20
	keptCaptures = 8
)

// captureBuf is the pcapng of one capture, growing while it runs.
type captureBuf struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	full bool
}

func (c *captureBuf) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf.Len()+len(p) > maxCapture {
		c.full = true
		return len(p), nil // the capture goes on for the lines; the file stops growing
	}
	return c.buf.Write(p)
}

func (c *captureBuf) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// capture streams the decoded lines of a capture of ?target= (keeping
// what ?filter= keeps, in topo capture's words) as
// Server-Sent Events ("capture" gives the id for the pcapng download,
// then "line" per frame, "error" if it cannot start) until the page
// closes it.
func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	if s.o.ReadOnly {
		fail(w, http.StatusForbidden, "read-only: topo ui was started with --read-only, so it captures nothing")
		return
	}
	name, ok := labName(w, r)
	if !ok {
		return
	}
	target := r.URL.Query().Get("target")
	if target == "" {
		fail(w, http.StatusBadRequest, "say what to capture: ?target=NODE, NODE:IFACE or link:NODE:IFACE")
		return
	}
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	buf := &captureBuf{}
	s.mu.Lock()
	s.captures[id] = buf
	s.order = append(s.order, id)
	if len(s.order) > keptCaptures {
		delete(s.captures, s.order[0])
		s.order = s.order[1:]
	}
	s.mu.Unlock()
	send, ok := sse(w)
	if !ok {
		return
	}
	lines := make(chan string, 256)
	ready := make(chan struct{})
	done := make(chan error, 1)
	filter := r.URL.Query().Get("filter")
	go func() {
		// A panic here would end topo ui: it ends this capture instead.
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("internal error in the capture: %v (please report it)", v)
			}
		}()
		done <- s.o.Backend.Capture(r.Context(), name, target, filter, func() { close(ready) }, func(l string) {
			select {
			case lines <- l:
			default: // a page that cannot keep up misses lines, never stalls the capture
			}
		}, buf)
	}()
	// "capture" (with the download's id) once listening: a frame sent
	// after it is captured.
	select {
	case <-ready:
		idb, _ := json.Marshal(map[string]string{"id": id, "target": target})
		if !send("capture", idb) {
			return
		}
	case err := <-done:
		if err == nil {
			err = errors.New("the capture ended before it started")
		}
		eb, _ := json.Marshal(map[string]string{"error": err.Error()})
		send("error", eb)
		return
	}
	for {
		select {
		case l := <-lines:
			if !send("line", []byte(l)) {
				return
			}
		case err := <-done:
			if err != nil {
				eb, _ := json.Marshal(map[string]string{"error": err.Error()})
				send("error", eb)
			}
			return
		}
	}
}

// pcapng downloads what a capture has written so far.
func (s *Server) pcapng(w http.ResponseWriter, r *http.Request) {
	if s.o.ReadOnly {
		fail(w, http.StatusForbidden, "read-only: topo ui was started with --read-only")
		return
	}
	s.mu.Lock()
	buf := s.captures[r.PathValue("id")]
	s.mu.Unlock()
	if buf == nil {
		fail(w, http.StatusNotFound, "no such capture (only the last 8 are kept)")
		return
	}
	w.Header().Set("Content-Type", "application/x-pcapng")
	w.Header().Set("Content-Disposition", `attachment; filename="topo-capture.pcapng"`)
	w.Write(buf.bytes())
}
