package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// uiCase is what `topo ui` costs on a lab that is up: the share of one
// core it uses with no page open, and with one page's live stream.
type uiCase struct {
	idle, page float64 // percent of one core
	events     int     // events the page received
	err        error
}

// uiWindow is how long each state is measured.
const uiWindow = 10 * time.Second

// uiCost runs topo ui while lab is up and measures its CPU time, read
// from /proc, over uiWindow with no page and with one page (an HTTP
// client reading the lab's event stream, as the page's EventSource).
func (b *bench) uiCost(lab string) *uiCase {
	c := &uiCase{}
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
	client := &http.Client{Timeout: uiWindow}
	resp, err := client.Do(req)
	if err != nil {
		c.err = err
		return c
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: ") {
			c.events++
		}
	}
	resp.Body.Close()
	t2 := cpuTicks(pid)
	hz := 100.0 // USER_HZ on Linux
	c.idle = float64(t1-t0) / hz / uiWindow.Seconds() * 100
	c.page = float64(t2-t1) / hz / uiWindow.Seconds() * 100
	return c
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
