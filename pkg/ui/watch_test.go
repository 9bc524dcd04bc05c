package ui

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/graph"
	"github.com/topo-lab/topo/pkg/topology"
)

// watching is a fake Backend that is a Watcher: its pictures are live
// (from the kernel's states), and it counts the whole reads and the
// watches it was asked for.
type watching struct {
	fake
	mu2      sync.Mutex
	kdown    bool // h1:eth0's state in the "kernel"
	pictures int
	watches  int
	cur      *fakeWatch
	gone     bool // Watch and Picture fail: the lab is down
	noWatch  bool // Watch fails, the lab is up (no inotify left)
}

func (f *watching) states() map[string]Counter {
	f.mu2.Lock()
	defer f.mu2.Unlock()
	st := "up"
	if f.kdown {
		st = "down"
	}
	return map[string]Counter{"h1:eth0": {State: st, TxPackets: 1}, "h2:eth0": {State: "up"}}
}

func (f *watching) Picture(ctx context.Context, lab string) (*graph.Graph, error) {
	f.mu2.Lock()
	f.pictures++
	gone := f.gone
	f.mu2.Unlock()
	if gone {
		return nil, errors.New("lab lab1 is not up")
	}
	l, _, err := topology.Parse("f.yaml", []byte("name: lab1\nhosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n    addresses: [10.0.0.1/24, 10.0.0.2/24]\n"))
	if err != nil {
		return nil, err
	}
	live := &graph.Live{Ifaces: map[string]graph.LiveIface{}}
	for k, c := range f.states() {
		live.Ifaces[k] = graph.LiveIface{State: c.State}
	}
	return graph.Build(l, graph.Options{Live: live}), nil
}

func (f *watching) Watch(ctx context.Context, lab string) (LabWatch, error) {
	f.mu2.Lock()
	defer f.mu2.Unlock()
	if f.gone {
		return nil, errors.New("lab lab1 is not up")
	}
	if f.noWatch {
		return nil, errors.New("inotify: too many open files")
	}
	f.watches++
	f.cur = &fakeWatch{f: f, changed: make(chan struct{}, 1), done: make(chan struct{})}
	return f.cur, nil
}

func (f *watching) count() (pictures, watches int) {
	f.mu2.Lock()
	defer f.mu2.Unlock()
	return f.pictures, f.watches
}

type fakeWatch struct {
	f       *watching
	changed chan struct{}
	done    chan struct{}
	once    sync.Once
}

func (w *fakeWatch) Counters(ctx context.Context, nodes map[string]bool) (map[string]Counter, error) {
	return w.f.states(), nil
}
func (w *fakeWatch) Snapshot() map[string]Counter  { return w.f.states() }
func (w *fakeWatch) Changed() <-chan struct{}      { return w.changed }
func (w *fakeWatch) Reconfigured() <-chan struct{} { return nil }
func (w *fakeWatch) Done() <-chan struct{}         { return w.done }
func (w *fakeWatch) Close()                        { w.once.Do(func() { close(w.done) }) }

// TestWatchEvents: with a Backend that watches, an interface's change
// redraws the picture without reading the lab again; the watch ending
// (the lab's state written) reads the lab again and watches anew; a lab
// gone is said.
func TestWatchEvents(t *testing.T) {
	f := &watching{}
	s, err := New(Options{Backend: f, Poll: time.Hour, FullEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	next := stream(t, ts, s)
	if g := next("graph"); strings.Contains(g, `"down":true`) {
		t.Fatalf("first picture has the link down: %s", g)
	}
	f.mu2.Lock()
	f.kdown = true
	w := f.cur
	f.mu2.Unlock()
	w.changed <- struct{}{}
	if g := next("graph"); !strings.Contains(g, `"down":true`) || !strings.Contains(g, `"state":"down"`) {
		t.Errorf("picture after h1:eth0 went down: %s", g)
	}
	if p, n := f.count(); p != 1 || n != 1 {
		t.Errorf("%d whole reads and %d watches for one change, want 1 and 1", p, n)
	}
	f.mu2.Lock()
	f.kdown = false
	f.mu2.Unlock()
	w.Close() // the lab's state was written
	if g := next("graph"); strings.Contains(g, `"down":true`) {
		t.Errorf("picture after the link came back: %s", g)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p, n := f.count(); p < 2 || n < 2; p, n = f.count() {
		if time.Now().After(deadline) {
			t.Fatalf("%d whole reads and %d watches after the watch ended, want a new one of each", p, n)
		}
		time.Sleep(time.Millisecond)
	}
	f.mu2.Lock()
	f.gone = true
	w = f.cur
	f.mu2.Unlock()
	w.Close()
	if e := next("error"); !strings.Contains(e, "not up") {
		t.Errorf("error after the lab went down: %s", e)
	}
}

// TestWatchFallback: a lab that is up but cannot be watched is read
// again and again, as without a Watcher: its picture and traffic still
// come, and its changes.
func TestWatchFallback(t *testing.T) {
	f := &watching{noWatch: true}
	s, err := New(Options{Backend: f, Poll: 20 * time.Millisecond, FullEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	next := stream(t, ts, s)
	next("graph")
	next("traffic")
	f.mu2.Lock()
	f.kdown = true
	f.mu2.Unlock()
	f.SetLink(context.Background(), "lab1", "h1:eth0", false) // the counters' state
	if g := next("graph"); !strings.Contains(g, `"down":true`) {
		t.Errorf("picture after h1:eth0 went down: %s", g)
	}
}
