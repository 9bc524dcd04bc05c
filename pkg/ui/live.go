package ui

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
// drawn, e.g. it went down).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	name, ok := labName(w, r)
	if !ok {
		return
	}
	send, ok := sse(w)
	if !ok {
		return
	}
	ctx := r.Context()
	var lastGraph, lastLabs, lastErr string
	var prev map[string]Counter
	var prevAt time.Time
	tick := time.NewTicker(s.o.Poll)
	defer tick.Stop()
	for {
		labs, _ := s.o.Backend.Labs()
		if lb, _ := json.Marshal(labs); string(lb) != lastLabs {
			lastLabs = string(lb)
			if !send("labs", lb) {
				return
			}
		}
		g, err := s.o.Backend.Picture(ctx, name)
		if err != nil {
			if err.Error() != lastErr {
				lastErr, lastGraph = err.Error(), ""
				eb, _ := json.Marshal(map[string]string{"error": err.Error()})
				if !send("error", eb) {
					return
				}
			}
		} else {
			lastErr = ""
			gb, _ := json.Marshal(g)
			if string(gb) != lastGraph {
				lastGraph = string(gb)
				if !send("graph", gb) {
					return
				}
			}
			now := time.Now()
			if cur, err := s.o.Backend.Counters(ctx, name); err == nil {
				if prev != nil {
					tb, _ := json.Marshal(rates(prev, cur, now.Sub(prevAt)))
					if !send("traffic", tb) {
						return
					}
				}
				prev, prevAt = cur, now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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

// capture streams the decoded lines of a capture of ?target= as
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
	idb, _ := json.Marshal(map[string]string{"id": id, "target": target})
	send("capture", idb)
	lines := make(chan string, 256)
	done := make(chan error, 1)
	go func() {
		done <- s.o.Backend.Capture(r.Context(), name, target, func(l string) {
			select {
			case lines <- l:
			default: // a page that cannot keep up misses lines, never stalls the capture
			}
		}, buf)
	}()
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
