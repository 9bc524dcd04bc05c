package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeSource answers from a table and counts concurrency.
type fakeSource struct {
	f        *fakeSources
	from     string
	inFlight atomic.Int32
}

type fakeSources struct {
	mu        sync.Mutex
	opened    map[string]int
	open, max atomic.Int32
	maxFlight atomic.Int32
	verdict   func(from string, dst netip.Addr) Result
	failOpen  string
}

func (f *fakeSources) opener(from string) (Source, error) {
	if from == f.failOpen {
		return nil, errors.New("no such namespace")
	}
	f.mu.Lock()
	f.opened[from]++
	f.mu.Unlock()
	n := f.open.Add(1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	return &fakeSource{f: f, from: from}, nil
}

func (s *fakeSource) Probe(ctx context.Context, dst netip.Addr) Result {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.f.maxFlight.Load(); n > m && !s.f.maxFlight.CompareAndSwap(m, n); m = s.f.maxFlight.Load() {
	}
	return s.f.verdict(s.from, dst)
}

func (s *fakeSource) Close() error { s.f.open.Add(-1); return nil }

func hostAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
}

func allPairs(n int) []Pair {
	var pairs []Pair
	for i := range n {
		for j := range n {
			if i != j {
				pairs = append(pairs, Pair{From: fmt.Sprintf("h%d", i), ToNode: fmt.Sprintf("h%d", j), To: hostAddr(j)})
			}
		}
	}
	return pairs
}

func TestCheckScalesWithBoundedConcurrency(t *testing.T) {
	const hosts = 256
	f := &fakeSources{opened: map[string]int{}, verdict: func(from string, dst netip.Addr) Result {
		if dst == hostAddr(3) {
			return Result{Reason: ReasonARP}
		}
		return Result{Reached: true, TTL: 64}
	}}
	pairs := allPairs(hosts)
	res := Check(context.Background(), f.opener, pairs, CheckOptions{Sources: 8, PerSource: 16})
	if len(res) != hosts*(hosts-1) {
		t.Fatalf("%d results, want %d", len(res), hosts*(hosts-1))
	}
	for i, r := range res {
		p := pairs[i]
		if r.From != p.From || r.To != p.To || r.ToNode != p.ToNode {
			t.Fatalf("result %d is for %s->%s, want %s->%s", i, r.From, r.To, p.From, p.To)
		}
		if r.Reached == (p.To == hostAddr(3)) {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	for from, n := range f.opened {
		if n != 1 {
			t.Fatalf("source %s opened %d times, want once", from, n)
		}
	}
	if len(f.opened) != hosts || f.max.Load() > 8 || f.maxFlight.Load() > 16 || f.open.Load() != 0 {
		t.Fatalf("opened %d sources, max %d open at once (limit 8), max %d in flight per source (limit 16), %d left open",
			len(f.opened), f.max.Load(), f.maxFlight.Load(), f.open.Load())
	}
	if got, want := Summary(res), "*** Results: 0% dropped (65025/65280 received)"; got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
}

func TestCheckOpenFailure(t *testing.T) {
	f := &fakeSources{opened: map[string]int{}, failOpen: "h1", verdict: func(string, netip.Addr) Result {
		return Result{Reached: true}
	}}
	res := Check(context.Background(), f.opener, allPairs(3), CheckOptions{})
	for _, r := range res {
		if (r.From == "h1") != (r.Reason == ReasonError) || r.From == "h1" && r.Error == "" {
			t.Fatalf("%+v", r)
		}
	}
}

func TestCheckCancelled(t *testing.T) {
	f := &fakeSources{opened: map[string]int{}, verdict: func(string, netip.Addr) Result { return Result{Reached: true} }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range Check(ctx, f.opener, allPairs(3), CheckOptions{}) {
		if r.Reached || r.Reason != ReasonError {
			t.Fatalf("%+v, want reason error after cancel", r)
		}
	}
	if res := Check(ctx, f.opener, nil, CheckOptions{}); len(res) != 0 {
		t.Fatalf("no pairs gave %d results", len(res))
	}
}
