package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/graph"
	"github.com/topo-lab/topo/pkg/topology"
)

// fake is a Backend without a kernel: one lab "lab1" whose link can be
// set down, recording the actions it was asked for.
type fake struct {
	// file is lab1's file; "" for two hosts and a link. mu.
	file    string
	mu      sync.Mutex
	down    bool
	drift   []string
	actions []string
}

func (f *fake) Labs() ([]string, error) { return []string{"lab1"}, nil }

func (f *fake) Picture(ctx context.Context, lab string) (*graph.Graph, error) {
	if lab != "lab1" {
		return nil, errors.New("lab " + lab + " is not up")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	file := f.file
	if file == "" {
		file = "name: lab1\nhosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n    addresses: [10.0.0.1/24, 10.0.0.2/24]\n"
	}
	l, _, err := topology.Parse("f.yaml", []byte(file))
	if err != nil {
		return nil, err
	}
	l.Links[0].Down = f.down
	g := graph.Build(l, graph.Options{})
	g.Drift = f.drift
	return g, nil
}

func (f *fake) Counters(ctx context.Context, lab string) (map[string]Counter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	state := "up"
	if f.down {
		state = "down"
	}
	return map[string]Counter{"h1:eth0": {TxPackets: 10, State: state}}, nil
}

func (f *fake) Node(ctx context.Context, lab, node string) (*NodeInfo, error) {
	return &NodeInfo{Name: node}, nil
}

func (f *fake) record(a string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
}

func (f *fake) SetLink(ctx context.Context, lab, endpoint string, up bool) error {
	f.record("link " + endpoint)
	f.mu.Lock()
	f.down = !up
	f.mu.Unlock()
	return nil
}

func (f *fake) SetImpair(ctx context.Context, lab, endpoint string, m ImpairRequest) error {
	f.record("impair " + endpoint)
	return nil
}

func (f *fake) Check(ctx context.Context, lab string) (int, int, error) {
	f.record("check")
	return 1, 2, nil
}

func (f *fake) Ping(ctx context.Context, lab, from, to string) (*PingResult, error) {
	f.record("ping")
	return &PingResult{From: from, To: to}, nil
}

func (f *fake) Capture(ctx context.Context, lab, target, filter string, ready func(), line func(string), pcap io.Writer) error {
	ready()
	line("a frame")
	<-ctx.Done()
	return nil
}

func server(t *testing.T, readOnly bool) (*httptest.Server, *fake, *Server) {
	return serverFull(t, readOnly, time.Hour)
}

// serverFull is server with the whole lab read every full (and the
// interfaces every 20 ms).
func serverFull(t *testing.T, readOnly bool, full time.Duration) (*httptest.Server, *fake, *Server) {
	f := &fake{}
	s, err := New(Options{Backend: f, ReadOnly: readOnly, Poll: 20 * time.Millisecond, FullEvery: full})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, f, s
}

type call struct {
	method, path, body string
	cookie, origin     string
	json               bool
}

func do(t *testing.T, ts *httptest.Server, c call) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.json {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRequests(t *testing.T) {
	ts, f, s := server(t, false)
	tok := s.Token()
	for _, c := range []struct {
		call
		code int
		want string
	}{
		{call{method: "GET", path: "/api/info"}, 401, "token"},
		{call{method: "GET", path: "/api/info", cookie: "nope"}, 401, "token"},
		{call{method: "GET", path: "/api/info?token=" + tok}, 200, "lab1"},
		{call{method: "GET", path: "/api/info", cookie: tok}, 200, `"readOnly":false`},
		{call{method: "GET", path: "/api/labs/lab1/graph", cookie: tok}, 200, `"id":"h1"`},
		{call{method: "GET", path: "/api/labs/Bad!/graph", cookie: tok}, 400, "not a lab name"},
		{call{method: "GET", path: "/api/labs/lab9/graph", cookie: tok}, 404, "not up"},
		{call{method: "GET", path: "/static/app.js", cookie: tok}, 200, "EventSource"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"down"}`, cookie: tok, json: true}, 403, "cross-origin"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"down"}`, cookie: tok, json: true, origin: "http://evil.example"}, 403, "cross-origin"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"down"}`, cookie: tok, origin: ts.URL}, 415, "application/json"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"sideways"}`, cookie: tok, json: true, origin: ts.URL}, 400, "up or down"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":`, cookie: tok, json: true, origin: ts.URL}, 400, "bad request body"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"down","x":1}`, cookie: tok, json: true, origin: ts.URL}, 400, "unknown field"},
		{call{method: "POST", path: "/api/labs/lab1/ping", body: `{"from":"h1"}`, cookie: tok, json: true, origin: ts.URL}, 400, "click two nodes"},
		{call{method: "POST", path: "/api/labs/lab1/link", body: `{"endpoint":"h1:eth0","state":"down"}`, cookie: tok, json: true, origin: ts.URL}, 200, "h1:eth0 down"},
		{call{method: "GET", path: "/api/captures/nope", cookie: tok}, 404, "no such capture"},
		{call{method: "GET", path: "/api/labs/lab1/capture", cookie: tok}, 400, "target"},
	} {
		code, body := do(t, ts, c.call)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %q; want %d with %q", c.method, c.path, code, body, c.code, c.want)
		}
	}
	if strings.Join(f.actions, ",") != "link h1:eth0" {
		t.Errorf("actions done: %v; want only the one well-formed, same-origin link change", f.actions)
	}
}

func TestReadOnlyRefuses(t *testing.T) {
	ts, f, s := server(t, true)
	for _, p := range []string{"link", "impair", "check", "ping"} {
		code, body := do(t, ts, call{method: "POST", path: "/api/labs/lab1/" + p, body: `{}`, cookie: s.Token(), json: true, origin: ts.URL})
		if code != 403 || !strings.Contains(body, "read-only") {
			t.Errorf("read-only %s: %d %q", p, code, body)
		}
	}
	if code, _ := do(t, ts, call{method: "GET", path: "/api/labs/lab1/capture?target=h1", cookie: s.Token()}); code != 403 {
		t.Errorf("read-only capture: %d, want 403", code)
	}
	if len(f.actions) > 0 {
		t.Errorf("read-only did %v", f.actions)
	}
}

// stream opens a lab's event stream and returns a function giving the
// data of the next event of a kind.
func stream(t *testing.T, ts *httptest.Server, s *Server) func(event string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/labs/lab1/events", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: s.Token()})
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	next := func(event string) string {
		t.Helper()
		cur := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				cur = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && cur == event {
				return v
			}
		}
		t.Fatalf("stream ended before a %s event: %v", event, sc.Err())
		return ""
	}
	return next
}

// TestEvents: the stream sends the picture, traffic rates, and a new
// picture as soon as an interface changes state (the whole lab is read
// only every hour here).
func TestEvents(t *testing.T) {
	ts, f, s := server(t, false)
	next := stream(t, ts, s)
	ctx := context.Background()
	if g := next("graph"); strings.Contains(g, `"down":true`) {
		t.Fatalf("first picture has the link down: %s", g)
	}
	if tr := next("traffic"); !strings.Contains(tr, `"h1:eth0"`) {
		t.Errorf("traffic event: %s", tr)
	}
	f.SetLink(ctx, "lab1", "h1:eth0", false)
	if g := next("graph"); !strings.Contains(g, `"down":true`) {
		t.Errorf("picture after the link went down: %s", g)
	}
}

func TestRates(t *testing.T) {
	r := rates(map[string]Counter{"a": {TxPackets: 10, TxBytes: 1000}, "b": {RxPackets: 5}},
		map[string]Counter{"a": {TxPackets: 30, TxBytes: 3000, RxDropped: 2}, "b": {RxPackets: 1}}, 2*time.Second)
	if a := r["a"]; a.TxPPS != 10 || a.TxBPS != 8000 || a.Dropped != 2 {
		t.Errorf("a: %+v", a)
	}
	if b := r["b"]; b.RxPPS != 0 {
		t.Errorf("a counter that went back (the interface was made again) gives %+v, want 0", b)
	}
}

// TestEventsFullRefresh: what the interfaces do not show (drift) still
// reaches the page, by the periodic read of the whole lab.
func TestEventsFullRefresh(t *testing.T) {
	ts, f, s := serverFull(t, false, 50*time.Millisecond)
	next := stream(t, ts, s)
	if g := next("graph"); strings.Contains(g, "drift") {
		t.Fatalf("first picture has drift: %s", g)
	}
	f.mu.Lock()
	f.drift = []string{"add address 10.9.9.9/24 to h1:eth0"}
	f.mu.Unlock()
	if g := next("graph"); !strings.Contains(g, "10.9.9.9") {
		t.Errorf("picture after drift: %s", g)
	}
}

// TestEventsShared: two pages of one lab share one feed, and a page
// that joins later gets the current picture at once.
func TestEventsShared(t *testing.T) {
	ts, _, s := server(t, false)
	first := stream(t, ts, s)
	first("graph")
	second := stream(t, ts, s)
	if g := second("graph"); !strings.Contains(g, `"id":"h1"`) {
		t.Errorf("a second page got %s", g)
	}
	s.mu.Lock()
	n, subs := len(s.feeds), len(s.feeds["lab1"].subs)
	s.mu.Unlock()
	if n != 1 || subs != 2 {
		t.Errorf("%d feeds with %d pages, want 1 with 2", n, subs)
	}
}

// TestCaptureStream: the capture's id comes once it listens, then its
// lines; the id downloads what was captured.
func TestCaptureStream(t *testing.T) {
	ts, _, s := server(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/labs/lab1/capture?target=h1", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: s.Token()})
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var got []string
	for len(got) < 4 && sc.Scan() {
		if l := sc.Text(); l != "" {
			got = append(got, l)
		}
	}
	if len(got) < 4 || got[0] != "event: capture" || got[2] != "event: line" || got[3] != "data: a frame" {
		t.Fatalf("stream: %q", got)
	}
	var id struct{ ID string }
	json.Unmarshal([]byte(strings.TrimPrefix(got[1], "data: ")), &id)
	if code, _ := do(t, ts, call{method: "GET", path: "/api/captures/" + id.ID, cookie: s.Token()}); code != 200 {
		t.Errorf("download of capture %q: %d", id.ID, code)
	}
}
