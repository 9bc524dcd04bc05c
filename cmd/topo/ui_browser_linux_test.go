package main

// Tests of topo ui in a real browser: Debian's Chromium, headless,
// driven by chromedp (the Chrome DevTools Protocol in pure Go: no
// Selenium server, no driver binary, no Node). Skipped, saying why,
// where Chromium is missing; CI installs it (.ci/run, make test-deps).

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/graph"
)

// uiLab has six nodes: a LAN (h1, h2, s1), a router r1 and two hosts
// behind it; h4 has no route back, so h1 -> h4 always fails.
const uiLab = `switches:
  s1: {subnet: 10.92.1.0/24}
hosts:
  h1:
    routes:
      - {to: 10.92.0.0/16, via: 10.92.1.3}
  h2: {}
  r1: {forward: true}
  h3:
    routes:
      - {to: default, via: 10.92.3.1}
  h4: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
  - endpoints: [r1, s1]
  - endpoints: [r1:eth1, h3:eth0]
    addresses: [10.92.3.1/24, 10.92.3.2/24]
  - endpoints: [r1:eth2, h4:eth0]
    addresses: [10.92.4.1/24, 10.92.4.2/24]
expect:
  - {from: h1, to: h2}
  - {from: h1, to: h3}
  - {from: h1, to: h4}
`

// startUI runs topo ui with args and returns its URL (the first line
// it prints); cleanup stops it.
func startUI(t *testing.T, l *labT, args ...string) string {
	t.Helper()
	p := l.Start(append([]string{"ui"}, args...)...)
	t.Cleanup(func() {
		p.Cmd.Process.Signal(syscall.SIGTERM)
		if r := p.Wait(); r.Code != 0 {
			t.Errorf("topo ui did not end cleanly on SIGTERM: %v", r)
		}
	})
	url := p.FirstLine(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/?token=") {
		t.Fatalf("topo ui's first line is not its URL on 127.0.0.1: %q", url)
	}
	return url
}

// browser starts headless Chromium for the test, or skips it.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("Chromium is not installed (apt-get install chromium): topo ui not tested in a browser")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1400, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// artifact is where tests leave files to look at (git-ignored).
func artifact(t *testing.T, name string) string {
	dir := filepath.Join("..", "..", "out", "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// domTexts is every text of the picture in the page.
const domTexts = `Array.from(document.querySelectorAll("#graph text")).map(e => e.textContent)`

func TestUIBrowser(t *testing.T) {
	l := newLab(t, "ui", uiLab)
	l.Up()
	ctx := browser(t)
	url := startUI(t, l)

	var g graph.Graph
	if err := json.Unmarshal([]byte(l.Must("graph", l.Name, "--format", "json").Stdout), &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 6 {
		t.Fatalf("%d nodes, want 6", len(g.Nodes))
	}
	// Open the page: every node and every line of every link label.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-id="h4"]`)),
	); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](domTexts))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range texts {
		have[s] = true
	}
	for _, n := range g.Nodes {
		if !have[n.Lines[0]] {
			t.Errorf("node %s is not on the page", n.ID)
		}
	}
	for _, lk := range g.Links {
		for _, line := range lk.Lines {
			if !have[line] {
				t.Errorf("label line %q of %s is not on the page", line, lk.ID)
			}
		}
	}

	// The kernel's counters are drawn under the labels.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("#graph text.traffic")).some(e => / pps .*bit\/s/.test(e.textContent))`)); err != nil {
		t.Errorf("no traffic rates on the page: %v", err)
	}

	// Take r1:eth1 -- h3:eth0 down from the page: the kernel's link goes
	// down, and the page draws it dashed.
	link := "r1:eth1~h3:eth0"
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#graph g.label[data-id="`+link+`"] rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#panel button[data-act="down"]`)),
		chromedp.Click(chromedp.CSS(`#panel button[data-act="down"]`)),
	); err != nil {
		t.Fatalf("click down: %v", err)
	}
	if !e2e.Eventually(func() bool { return !ifaces(t, l.NS("r1"))["eth1"].up() }) {
		t.Fatal("r1:eth1 is still up in the kernel after the page's down")
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#graph polyline.link[data-id="`+link+`"][stroke-dasharray="6 4"]`)),
	); err != nil {
		t.Fatalf("the page never drew the link down: %v", err)
	}

	// Run check from the page: h1 -> h3 (its link is down) and h1 -> h4
	// (no route back) are painted as failed, h1 -> h2 is not.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#check`)),
		chromedp.WaitVisible(chromedp.CSS(`#pairs div.fail[data-pair="h1>h4"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pairs div.fail[data-pair="h1>h3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph line.pair`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-id="h4"] rect[stroke="#d93025"]`)),
	); err != nil {
		t.Fatalf("check from the page: %v", err)
	}
	failed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#pairs div.fail")).map(e => e.dataset.pair)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(failed, " ") != "h1>h3 h1>h4" {
		t.Errorf("failed pairs painted: %v; want h1>h3 and h1>h4", failed)
	}
	// Ping h1 -> h2 by clicking the two nodes: the answer with its TTL.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#ping`)),
		chromedp.Click(chromedp.CSS(`#graph g.node[data-id="h1"] rect`)),
		chromedp.Click(chromedp.CSS(`#graph g.node[data-id="h2"] rect`)),
	); err != nil {
		t.Fatalf("ping from the page: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("msg").textContent.includes("reply") && document.getElementById("msg").textContent`))
	if err != nil || !strings.Contains(msg, "ping h1 → h2 (10.92.1.2): reply, ttl 64 (0 routers on the way)") || !strings.Contains(msg, "path by TTL: 1 h2") {
		t.Errorf("ping h1 -> h2 from the page says %q (%v)", msg, err)
	}
	// Bring r1:eth1 -- h3:eth0 back up from the page, then ping h1 -> h3:
	// the path proven TTL by TTL goes through r1.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#graph g.label[data-id="`+link+`"] rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#panel button[data-act="up"]`)),
		chromedp.Click(chromedp.CSS(`#panel button[data-act="up"]`)),
	); err != nil {
		t.Fatalf("click up: %v", err)
	}
	if !e2e.Eventually(func() bool { return ifaces(t, l.NS("r1"))["eth1"].up() }) {
		t.Fatal("r1:eth1 is still down in the kernel after the page's up")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#ping`)),
		chromedp.Click(chromedp.CSS(`#graph g.node[data-id="h1"] rect`)),
		chromedp.Click(chromedp.CSS(`#graph g.node[data-id="h3"] rect`)),
	); err != nil {
		t.Fatalf("ping h1 -> h3 from the page: %v", err)
	}
	msg, err = chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("msg").textContent.includes("h3") && document.getElementById("msg").textContent.includes("reply") && document.getElementById("msg").textContent`))
	if err != nil || !strings.Contains(msg, "ttl 63 (1 router on the way)") || !strings.Contains(msg, "path by TTL: 1 r1 → 2 h3") {
		t.Errorf("ping h1 -> h3 from the page says %q (%v)", msg, err)
	}
	// Drift: an address added by hand shows on the page (the lab's
	// state reads "drifted") without anything else happening.
	if out, err := exec.Command("ip", "-n", l.NS("h2"), "addr", "add", "10.77.0.1/24", "dev", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("add an address by hand: %v %s", err, out)
	}
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("state").textContent === "drifted"`)); err != nil {
		t.Fatalf("the page never said drifted: %v", err)
	}
	t.Logf("drift shown %v after the address was added", time.Since(start).Round(time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(artifact(t, "ui-lab.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUIToken: without the token, or with a wrong one, every request
// gets 401 and no data; with it, the API answers.
func TestUIToken(t *testing.T) {
	l := newLab(t, "uitok", uiLab)
	l.Up()
	url := startUI(t, l)
	base, token, _ := strings.Cut(url, "/?token=")
	get := func(path string, cookie string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "topo_token", Value: cookie})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, c := range []struct{ path, cookie string }{
		{"/api/info", ""}, {"/api/info?token=wrong", ""}, {"/api/info", "wrong"},
		{"/api/labs/" + l.Name + "/graph", "x" + token}, {"/", ""}, {"/static/app.js", ""},
	} {
		code, body := get(c.path, c.cookie)
		if code != http.StatusUnauthorized || strings.Contains(body, l.Name) || strings.Contains(body, "h1") {
			t.Errorf("GET %s (cookie %q): %d %q; want 401 and no data", c.path, c.cookie, code, body)
		}
	}
	if code, body := get("/api/info", token); code != 200 || !strings.Contains(body, l.Name) {
		t.Errorf("GET /api/info with the token: %d %q", code, body)
	}
}

// TestUIReadOnly: --read-only refuses every action with 403 and a
// reason, and the page says it is read-only and offers no action.
func TestUIReadOnly(t *testing.T) {
	l := newLab(t, "uiro", uiLab)
	l.Up()
	url := startUI(t, l, "--read-only")
	base, token, _ := strings.Cut(url, "/?token=")
	for _, a := range []struct{ path, body string }{
		{"/link", `{"endpoint":"r1:eth1","state":"down"}`}, {"/check", `{}`},
		{"/impair", `{"endpoint":"r1:eth1","rate":"1mbit"}`}, {"/ping", `{"from":"h1","to":"h2"}`},
	} {
		req, _ := http.NewRequest("POST", base+"/api/labs/"+l.Name+a.path, strings.NewReader(a.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		req.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "read-only") {
			t.Errorf("POST %s read-only: %d %s; want 403 saying read-only", a.path, resp.StatusCode, body)
		}
	}
	if !ifaces(t, l.NS("r1"))["eth1"].up() {
		t.Error("a read-only topo ui took r1:eth1 down")
	}
	ctx := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#readonly`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-id="h1"]`)),
		chromedp.Click(chromedp.CSS(`#graph g.label[data-id="r1:eth1~h3:eth0"] rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#panel pre`)),
	); err != nil {
		t.Fatalf("read-only page: %v", err)
	}
	checkHidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("check").hidden && document.querySelectorAll("#panel button").length === 0`))
	if err != nil {
		t.Fatal(err)
	}
	if !checkHidden {
		t.Error("the read-only page offers actions")
	}
}

// TestUICapture: a capture of h2 opened through topo ui streams the
// decoded line of an echo request sent after it listens, and its
// download is a pcapng file.
func TestUICapture(t *testing.T) {
	l := newLab(t, "uicap", uiLab)
	l.Up()
	url := startUI(t, l)
	base, token, _ := strings.Cut(url, "/?token=")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/labs/"+l.Name+"/capture?target=h2", nil)
	req.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	event, id := "", ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if event == "error" {
			t.Fatalf("capture: %s", data)
		}
		if event == "capture" {
			var c struct{ ID string }
			json.Unmarshal([]byte(data), &c)
			id = c.ID
			l.Must("exec", "--lab", l.Name, "h1", "--", "ping", "-c1", "-W1", "10.92.1.2")
		}
		if event == "line" && strings.Contains(data, "echo request") {
			break
		}
	}
	if id == "" || sc.Err() != nil {
		t.Fatalf("no echo request line in the stream (id %q): %v", id, sc.Err())
	}
	dl, _ := http.NewRequest("GET", base+"/api/captures/"+id, nil)
	dl.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
	r2, err := http.DefaultClient.Do(dl)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || len(body) < 4 || string(body[:4]) != "\x0a\x0d\x0d\x0a" {
		t.Errorf("download: %d, %d bytes starting %q; want a pcapng file", r2.StatusCode, len(body), body[:min(len(body), 4)])
	}
}

// TestUIImpair: an impairment changed through topo ui is in the kernel
// (topo status reads it back), and a bad one gets 400 with the reason.
func TestUIImpair(t *testing.T) {
	l := newLab(t, "uiimp", uiLab)
	l.Up()
	url := startUI(t, l)
	base, token, _ := strings.Cut(url, "/?token=")
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/api/labs/"+l.Name+"/impair", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", base)
		req.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"endpoint":"r1:eth1","rate":"fast"}`); code != 400 || !strings.Contains(body, "rate") {
		t.Errorf("a bad rate: %d %s; want 400 naming the rate", code, body)
	}
	if code, body := post(`{"endpoint":"r1:eth1","rate":"2mbit"}`); code != 200 {
		t.Fatalf("impair r1:eth1 2mbit: %d %s", code, body)
	}
	if st := l.Must("status", l.Name).Stdout; !strings.Contains(st, "rate 2mbit") {
		t.Errorf("status after the page's impairment:\n%s", st)
	}
}
