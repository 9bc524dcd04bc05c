package ui

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sitesLab is a lab over two sites: a switch and a host on m1, a host
// on m2 joined to the switch by a tunnel.
const sitesLab = `name: lab1
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
switches:
  s1: {site: m1, subnet: 10.0.1.0/24}
hosts:
  h1: {site: m1}
  h2: {site: m2}
links:
  - endpoints: [h1, s1]
  - endpoints: [h2, s1]
    vni: 5001
`

// pageOf serves the page over f and starts headless Chromium for it
// (60 s at most), or skips the test, saying what goes untested; url
// opens lab1 with the server's token.
func pageOf(t *testing.T, f *fake, what string) (ctx context.Context, url string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("Chromium is not installed (apt-get install chromium): " + what + " not tested in a browser")
	}
	s, err := New(Options{Backend: f, Poll: 50 * time.Millisecond, FullEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1200, 800), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx, ts.URL + "/?token=" + s.o.Token + "#lab1"
}

// TestBrowserSiteFrames: the page draws a lab's sites as topo graph
// does, each a frame titled with its name and underlay, where the
// layout put it, and the tunnel labelled with its VNI. Headless
// Chromium; skipped, saying why, where it is missing.
func TestBrowserSiteFrames(t *testing.T) {
	f := &fake{file: sitesLab}
	ctx, url := pageOf(t, f, "the page's frames")
	want, err := f.Picture(context.Background(), "lab1")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#graph g.site[data-id="m2"]`),
	); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	type frame struct {
		Title      string
		X, Y, W, H int
	}
	frames, err := chromedp.Run(ctx, chromedp.Evaluate[[]frame](`Array.from(document.querySelectorAll("#graph g.site")).map(g => {
		const r = g.querySelector("rect");
		return {Title: g.querySelector("text").textContent, X: +r.getAttribute("x"), Y: +r.getAttribute("y"), W: +r.getAttribute("width"), H: +r.getAttribute("height")};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(want.Sites) {
		t.Fatalf("the page draws %d frames, the layout has %d", len(frames), len(want.Sites))
	}
	for i, fr := range frames {
		w := want.Sites[i]
		if fr != (frame{w.Title(), w.X, w.Y, w.W, w.H}) {
			t.Errorf("frame %d on the page %+v, the layout's %q %+v", i, fr, w.Title(), w.Box)
		}
	}
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#graph g.label text")).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range texts {
		found = found || s == "tunnel vni 5001"
	}
	if !found {
		t.Errorf("the tunnel's label has no \"tunnel vni 5001\": %q", texts)
	}
}

// TestBrowserRedrawKeepsElements: a redraw (here, the link going down)
// updates the page in place. The nodes, the link and the open link panel
// stay the same elements, and what is being typed into the panel's
// impairment form stays too. A redraw that rebuilt them would lose a
// click aimed at one, or the text being typed.
func TestBrowserRedrawKeepsElements(t *testing.T) {
	f := &fake{}
	ctx, url := pageOf(t, f, "redraws")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#graph g.node[data-id="h1"]`),
		chromedp.Click(`#graph g.label rect`),
		chromedp.WaitVisible(`#panel form input`),
		chromedp.SendKeys(`#panel form input`, "5mbit"),
	); err != nil {
		t.Fatalf("open the page and a link's panel: %v", err)
	}
	const kept = `[document.querySelector('#graph g.node[data-id="h1"] rect'), document.querySelector("#graph polyline.link"),
		document.querySelector('#panel button[data-act="down"]'), document.querySelector("#panel form input")]`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.kept = `+kept+`).every(e => e !== null)`)); err != nil {
		t.Fatalf("find the elements on the page: %v", err)
	}
	if err := f.SetLink(context.Background(), "lab1", "h1:eth0", false); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#graph polyline.link").getAttribute("stroke-dasharray") === "6 4" &&
		document.querySelector("#panel pre").textContent.endsWith("down")`)); err != nil {
		t.Fatalf("the page never drew the link down: %v", err)
	}
	connected, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`window.kept.map(e => e.isConnected)`))
	if err != nil {
		t.Fatal(err)
	}
	for i, what := range []string{"node h1", "the link", "the panel's down button", "the panel's rate field"} {
		if !connected[i] {
			t.Errorf("the redraw replaced %s", what)
		}
	}
	typed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#panel form input").value`))
	if err != nil || typed != "5mbit" {
		t.Errorf("the rate being typed reads %q after the redraw (%v), want 5mbit", typed, err)
	}
}

// TestBrowserRedrawRemovesWhatIsGone: when the lab loses a node and its
// link, the redraw takes both off the page and empties the panel that
// showed the link; a node that comes is stacked in the graph's order,
// not after the others.
func TestBrowserRedrawRemovesWhatIsGone(t *testing.T) {
	const three = "name: lab1\nhosts: {h1: {}, h2: {}, h3: {}}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n  - endpoints: [h2:eth1, h3:eth0]\n"
	const after = "name: lab1\nhosts: {h0: {}, h1: {}, h2: {}}\nlinks:\n  - endpoints: [h1:eth0, h2:eth0]\n  - endpoints: [h0:eth0, h1:eth1]\n"
	f := &fake{file: three}
	ctx, url := pageOf(t, f, "redraws")
	gone := `#graph g.label[data-id="h2:eth1~h3:eth0"]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#graph g.node[data-id="h3"]`),
		chromedp.Click(gone+` rect`),
		chromedp.WaitVisible(`#panel button[data-act="down"]`),
	); err != nil {
		t.Fatalf("open the page and the h2-h3 link's panel: %v", err)
	}
	// The server reads the lab again when an interface's state changes.
	f.mu.Lock()
	f.file = after
	f.mu.Unlock()
	if err := f.SetLink(context.Background(), "lab1", "h1:eth0", false); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#graph g.node[data-id="h0"]') !== null`)); err != nil {
		t.Fatalf("the page never drew the new node: %v", err)
	}
	left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		'#graph g.node[data-id="h3"]', '#graph polyline.link[data-id="h2:eth1~h3:eth0"]', '`+gone+`', "#panel > *",
	].filter(q => document.querySelector(q) !== null)`))
	if err != nil || len(left) > 0 {
		t.Errorf("still on the page after h3 and its link went: %q (%v)", left, err)
	}
	want, err := f.Picture(context.Background(), "lab1")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, n := range want.Nodes {
		order = append(order, n.ID)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#graph g.node")).map(g => g.dataset.id)`))
	if err != nil || strings.Join(got, " ") != strings.Join(order, " ") {
		t.Errorf("nodes stacked %q (%v), the graph's order is %q", got, err, order)
	}
}
