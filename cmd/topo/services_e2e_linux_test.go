package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/service"
)

// webLab is two web servers with private document roots and a client
// on one switch; web1 and web2 each serve their own index.html.
const webLab = `
hosts:
  web1:
    private: [/var/www]
    files: {/var/www/index.html: "hello from web1\n"}
    services:
      web: {command: "python3 -m http.server 80 --bind 0.0.0.0 --directory /var/www"}
  web2:
    private: [/var/www]
    files: {/var/www/index.html: "hello from web2\n"}
    services:
      web: {command: "python3 -m http.server 80 --bind 0.0.0.0 --directory /var/www"%s}
  client: {}
switches:
  sw: {}
links:
  - {endpoints: [web1:eth0, sw], addresses: [10.8.0.1/24]}
  - {endpoints: [web2:eth0, sw], addresses: [10.8.0.2/24]}
  - {endpoints: [client:eth0, sw], addresses: [10.8.0.9/24]}
`

// services reads the lab's supervisor status, keyed node/service.
func services(t *testing.T, l *labT) map[string]service.State {
	t.Helper()
	st, err := service.ReadStatus(filepath.Join(l.StateDir, l.Name, "services"))
	if err != nil || st == nil {
		t.Fatalf("services status: %v", err)
	}
	out := map[string]service.State{}
	for _, s := range st.Services {
		out[s.Node+"/"+s.Name] = s
	}
	return out
}

// waitService waits until ok holds of the service's state.
func waitService(t *testing.T, l *labT, key string, what string, ok func(service.State) bool) service.State {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := services(t, l)[key]
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s within 20s: %+v", key, what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fetch waits until the client gets url's body from the lab's web
// server (which may still be binding its socket), and returns it.
func fetch(t *testing.T, l *labT, url string) string {
	t.Helper()
	script := fmt.Sprintf("import urllib.request;print(urllib.request.urlopen(%q, timeout=2).read().decode(), end='')", url)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := l.Topo("exec", "--lab", l.Name, "client", "--", "python3", "-c", script)
		if r.Code == 0 {
			return r.Stdout
		}
		if time.Now().After(deadline) {
			t.Fatalf("client could not fetch %s: %v", url, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether process pid runs (a zombie does not: reaping
// it is its parent's business).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if pid <= 0 || err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	return i >= 0 && i+2 < len(data) && data[i+2] != 'Z'
}

func TestServicesPrivateRestartEditDown(t *testing.T) {
	l := newLab(t, "svc", fmt.Sprintf(webLab, ""))
	_, hostWWW := os.Stat("/var/www")
	l.Up()
	for _, n := range []string{"web1", "web2"} {
		if got := l.Must("exec", "--lab", l.Name, n, "--", "cat", "/var/www/index.html").Stdout; got != "hello from "+n+"\n" {
			t.Errorf("%s sees index.html %q", n, got)
		}
	}
	if _, err := os.Stat("/var/www"); (err == nil) != (hostWWW == nil) {
		t.Errorf("the machine's /var/www changed: before %v, after %v", hostWWW, err)
	}
	running := func(s service.State) bool { return s.State == service.StateRunning && alive(s.Pid) }
	if got := fetch(t, l, "http://10.8.0.2/"); got != "hello from web2\n" {
		t.Errorf("web2 served %q", got)
	}
	first := waitService(t, l, "web1/web", "running", running)
	if got := fetch(t, l, "http://10.8.0.1/"); got != "hello from web1\n" {
		t.Errorf("web1 served %q", got)
	}

	// kill -9: the supervisor starts it again, and it serves again.
	syscall.Kill(first.Pid, syscall.SIGKILL)
	again := waitService(t, l, "web1/web", "restarted", func(s service.State) bool {
		return running(s) && s.Pid != first.Pid && s.Restarts == 1 && s.Exit != nil && *s.Exit == 137
	})
	if got := fetch(t, l, "http://10.8.0.1/"); got != "hello from web1\n" {
		t.Errorf("web1 served %q after its restart", got)
	}

	// An edit of web2's service restarts web2's alone.
	web2 := services(t, l)["web2/web"]
	l.Write(fmt.Sprintf(webLab, `, env: {EDITED: "1"}`))
	if steps := l.Up(); !slices.Equal(steps, []string{"~ web2 service web"}) {
		t.Errorf("the edit planned %q", steps)
	}
	now := services(t, l)
	if now["web1/web"].Pid != again.Pid || !alive(again.Pid) {
		t.Errorf("web1's service was restarted by an edit of web2's: pid %d -> %d", again.Pid, now["web1/web"].Pid)
	}
	if w := waitService(t, l, "web2/web", "running", running); w.Pid == web2.Pid || alive(web2.Pid) {
		t.Errorf("web2's edited service still runs as pid %d", web2.Pid)
	}
	if got := fetch(t, l, "http://10.8.0.2/"); got != "hello from web2\n" {
		t.Errorf("web2 served %q after its edit", got)
	}

	// down: no service, no supervisor, no mount of the lab's state.
	pids := []int{now["web1/web"].Pid, services(t, l)["web2/web"].Pid, supervisorPidOf(t, l)}
	l.Must("down", l.Name)
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d is still alive after down", pid)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), l.StateDir) {
		t.Errorf("a mount of the lab's state remains:\n%s", mounts)
	}
	l.Gone("after down")
}

// supervisorPidOf reads the pid of the lab's supervisor.
func supervisorPidOf(t *testing.T, l *labT) int {
	t.Helper()
	st, err := service.ReadStatus(filepath.Join(l.StateDir, l.Name, "services"))
	if err != nil || st == nil {
		t.Fatalf("services status: %v", err)
	}
	return st.Pid
}

func TestServiceMissingCommand(t *testing.T) {
	l := newLab(t, "svcmiss", `
hosts:
  h1:
    services:
      ok: {command: "sleep 1000"}
      bad: {command: "no-such-program-xyz --flag"}
      crash: {command: "sh -c 'echo boom; exit 3'", restart: always}
      once: {command: "sh -c 'echo bang; exit 4'", restart: never}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
`)
	r := l.Topo("up", l.File)
	if r.Code == 0 || !strings.Contains(r.Stderr, `node h1 service bad: command "no-such-program-xyz" not found`) {
		t.Fatalf("up with a missing command: %v", r)
	}
	if !strings.Contains(r.Stdout, "lab "+l.Name+" is up") {
		t.Errorf("the rest of the lab was not reported built: %v", r)
	}
	if _, ok := ifaces(t, l.NS("h2"))["eth0"]; !ok {
		t.Errorf("h2:eth0 was not made")
	}
	waitService(t, l, "h1/ok", "running", func(s service.State) bool { return s.State == service.StateRunning })
	// A crash loop backs off: after a second restart, starts are still
	// at least the first backoff apart, and status says it is failing.
	c := waitService(t, l, "h1/crash", "restarted twice", func(s service.State) bool { return s.Restarts >= 2 })
	if c.Restarts > 3 {
		t.Errorf("crash loop restarted %d times at once: no backoff", c.Restarts)
	}
	waitService(t, l, "h1/once", "exited", func(s service.State) bool { return s.State == service.StateExited })
	st := l.Must("status", l.Name).Stdout
	for _, want := range []string{"h1/once", "exited", "once| bang", "exited with status 4", "h1/bad", "failing", "h1/ok", "running"} {
		if !strings.Contains(st, want) {
			t.Errorf("status does not show %q:\n%s", want, st)
		}
	}
	if logs := l.Must("logs", "--lab", l.Name, "h1/crash", "-n", "50").Stdout; !strings.Contains(logs, "boom") || !strings.Contains(logs, "exited with status 3") {
		t.Errorf("logs h1/crash:\n%s", logs)
	}
}
