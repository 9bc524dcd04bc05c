package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
)

// sseEvent is one Server-Sent Event of a lab's live view.
type sseEvent struct {
	at          time.Time
	event, data string
}

// openStream opens a lab's event stream as the page does and sends its
// events to the channel it returns, until the test ends.
func openStream(t *testing.T, url, lab string) <-chan sseEvent {
	t.Helper()
	base, token, _ := strings.Cut(url, "/?token=")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/labs/"+lab+"/events", nil)
	req.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		var ev sseEvent
		for sc.Scan() {
			switch line := sc.Text(); {
			case strings.HasPrefix(line, "event: "):
				ev = sseEvent{event: strings.TrimPrefix(line, "event: ")}
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			case line == "" && ev.event != "":
				ev.at = time.Now()
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	}()
	return ch
}

// next waits for the next event named one of names (30 s at most).
func next(t *testing.T, ch <-chan sseEvent, names ...string) sseEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-ch:
			for _, n := range names {
				if ev.event == n {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event within 30 s", names)
		}
	}
}

// sockets counts a process's open sockets.
func sockets(pid int) int {
	n := 0
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// linkDrawnDown reports whether a picture (a graph event) draws the
// link with that id down.
func linkDrawnDown(data, id string) (down, found bool) {
	var g struct {
		Links []struct {
			ID   string `json:"id"`
			Down bool   `json:"down"`
		} `json:"links"`
	}
	json.Unmarshal([]byte(data), &g)
	for _, l := range g.Links {
		if l.ID == id {
			return l.Down, true
		}
	}
	return false, false
}

// TestUIWatch: with a page open, topo ui follows the lab by the
// kernel's events through a socket in each node's namespace: a link
// taken down in another process is drawn down within a second, and
// `topo down --wait` still returns promptly, since topo ui lets go of
// each namespace as soon as it is deleted; the page is then told the
// lab is gone.
func TestUIWatch(t *testing.T) {
	l := newLab(t, "uiw", uiLab)
	l.Up()
	p := l.Start("ui")
	t.Cleanup(func() {
		p.Cmd.Process.Signal(syscall.SIGTERM)
		if r := p.Wait(); t.Failed() {
			t.Logf("topo ui: %s", r.Stderr)
		}
	})
	url := p.FirstLine(t)
	pid := p.Cmd.Process.Pid
	before := sockets(pid)
	ch := openStream(t, url, l.Name)
	next(t, ch, "graph")
	next(t, ch, "traffic")
	// One more for the page's connection, and one per node.
	if held := sockets(pid) - before; held < 1+6 {
		t.Fatalf("topo ui holds %d more sockets with a page open, want the page's and one per node (6): it does not watch the lab", held)
	}

	// A link taken down and up by topo link: drawn so within a second
	// of topo link's return (often before it returns).
	link := "r1:eth1~h3:eth0"
	for _, state := range []string{"down", "up"} {
		l.Must("link", "--lab", l.Name, "r1:eth1", state)
		done := time.Now()
		for {
			ev := next(t, ch, "graph")
			if down, ok := linkDrawnDown(ev.data, link); ok && down == (state == "down") {
				if late := ev.at.Sub(done); late > time.Second {
					t.Errorf("link %s drawn %s %v after topo link returned, want within 1 s", link, state, late)
				}
				break
			}
		}
	}

	// topo down --wait returns: the namespaces are not held.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	down := exec.CommandContext(ctx, e2e.Bin(), "down", "--wait", l.Name)
	down.Env = append(os.Environ(), "TOPO_STATE_DIR="+l.StateDir)
	out, err := down.CombinedOutput()
	if err != nil {
		t.Fatalf("topo down --wait with a page open: %v after %v: %s", err, time.Since(start), out)
	}
	if left := e2e.NamespacesWithPrefix(l.Name + "-"); len(left) > 0 || strings.Contains(string(out), "still held") {
		t.Errorf("after topo down --wait: namespaces %v; it said: %s", left, out)
	}
	if strings.Contains(string(out), "still held") {
		t.Errorf("topo down --wait waited on something: %s", out)
	}
	if ev := next(t, ch, "error"); !strings.Contains(ev.data, "not up") && !strings.Contains(ev.data, l.Name) {
		t.Errorf("after down, the page was told %s", ev.data)
	}
	if !e2e.Eventually(func() bool { return sockets(pid) <= before+1 }) {
		t.Errorf("topo ui still holds %d more sockets after the lab went down (the page's connection is one)", sockets(pid)-before)
	}
}
