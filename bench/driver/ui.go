package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// uiCase is what `topo ui` costs on a lab that is up: the share of one
// core it uses with no page open, and with one page's live stream; and
// with the page open, how long a link taken down (and up again) in
// another process takes to show in the stream.
type uiCase struct {
	idle, page float64 // percent of one core
	// first is how long the page waited for its first picture, and
	// join the share of a core topo ui used meanwhile; page is then
	// measured over uiWindow on, with the lab idle.
	first   time.Duration
	join    float64
	events  int // events the page received in the window
	traffic int // of them, traffic (counter) updates
	graphs  int // of them, pictures
	// downShown and upShown are the time from starting `topo link ...
	// down` (up) to the page's stream drawing the link down (up), and
	// downCmd, upCmd how long that topo link took; 0 when not measured.
	downShown, upShown, downCmd, upCmd time.Duration
	endpoint                           string
	err                                error
}

// uiWindow is how long each state is measured (-ui-window).
var uiWindow = 10 * time.Second

// uiEvent is one Server-Sent Event the page received.
type uiEvent struct {
	at    time.Time
	event string
	data  string
}

// uiCost runs topo ui while lab is up and measures its CPU time, read
// from /proc, over uiWindow with no page and with one page (an HTTP
// client reading the lab's event stream, as the page's EventSource);
// then, with endpoint set (NODE:IFACE of a link the picture draws),
// times how soon the stream shows that link going down and up.
func (b *bench) uiCost(lab, endpoint string) *uiCase {
	c := &uiCase{endpoint: endpoint}
	cmd := exec.Command(b.topo, "ui")
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.err = err
		return c
	}
	if err := cmd.Start(); err != nil {
		c.err = err
		return c
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		c.err = fmt.Errorf("topo ui printed no URL: %w", err)
		return c
	}
	base, token, _ := strings.Cut(strings.TrimSpace(url), "/?token=")
	pid := cmd.Process.Pid
	t0 := cpuTicks(pid)
	time.Sleep(uiWindow)
	t1 := cpuTicks(pid)
	req, _ := http.NewRequest("GET", base+"/api/labs/"+lab+"/events", nil)
	req.AddCookie(&http.Cookie{Name: "topo_token", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.err = err
		return c
	}
	defer resp.Body.Close()
	events := make(chan uiEvent, 1024)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 64<<20)
		ev := uiEvent{}
		var data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = uiEvent{event: strings.TrimPrefix(line, "event: ")}
				data.Reset()
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimPrefix(line, "data: "))
			case line == "" && ev.event != "":
				ev.at, ev.data = time.Now(), data.String()
				events <- ev
				ev = uiEvent{}
			}
		}
	}()
	// The page's first picture: topo ui reads the whole lab for it.
	joined := time.Now()
	firstPicture := time.After(120 * time.Second)
join:
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				c.err = fmt.Errorf("the event stream ended")
				return c
			}
			if ev.event == "graph" {
				c.first = time.Since(joined)
				break join
			}
		case <-firstPicture:
			c.err = fmt.Errorf("no picture within 120 s")
			return c
		}
	}
	tj := cpuTicks(pid)
	deadline := time.After(uiWindow)
	t2 := tj
count:
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				c.err = fmt.Errorf("the event stream ended")
				return c
			}
			c.events++
			switch ev.event {
			case "traffic":
				c.traffic++
			case "graph":
				c.graphs++
			}
		case <-deadline:
			t2 = cpuTicks(pid)
			break count
		}
	}
	hz := 100.0 // USER_HZ on Linux
	c.idle = float64(t1-t0) / hz / uiWindow.Seconds() * 100
	c.join = float64(tj-t1) / hz / c.first.Seconds() * 100
	c.page = float64(t2-tj) / hz / uiWindow.Seconds() * 100
	if endpoint == "" {
		return c
	}
	for _, up := range []bool{false, true} {
		state := "down"
		if up {
			state = "up"
		}
		start := time.Now()
		if out, err := exec.Command(b.topo, "link", "--lab", lab, endpoint, state).CombinedOutput(); err != nil {
			c.err = fmt.Errorf("topo link %s %s: %v: %s", endpoint, state, err, out)
			return c
		}
		took := time.Since(start)
		shown := time.Duration(0)
		timeout := time.After(30 * time.Second)
	wait:
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					c.err = fmt.Errorf("the event stream ended")
					return c
				}
				if ev.event == "graph" && linkDown(ev.data, endpoint) == !up {
					shown = ev.at.Sub(start)
					break wait
				}
			case <-timeout:
				c.err = fmt.Errorf("the page did not show %s %s within 30 s", endpoint, state)
				return c
			}
		}
		if up {
			c.upShown, c.upCmd = shown, took
		} else {
			c.downShown, c.downCmd = shown, took
		}
	}
	return c
}

// linkDown reports whether a picture (the graph event's JSON) draws
// the link with that end down.
func linkDown(data, endpoint string) bool {
	var g struct {
		Links []struct {
			ID   string `json:"id"`
			Down bool   `json:"down"`
		} `json:"links"`
	}
	if json.Unmarshal([]byte(data), &g) != nil {
		return false
	}
	for _, l := range g.Links {
		a, z, _ := strings.Cut(l.ID, "~")
		if a == endpoint || z == endpoint {
			return l.Down
		}
	}
	return false
}

// cpuTicks is a process's user and system time, in clock ticks.
func cpuTicks(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: count fields after its ")".
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var u, k int64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &k)
	return u + k
}
