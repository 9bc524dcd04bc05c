package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/service"
)

// slowWebLab is a web server that takes half a second to listen (the
// sleep is the service under test), a client, and an expectation that
// the client connects to it.
const slowWebLab = `
hosts:
  srv:
    private: [/srv]
    files: {/srv/index.html: "made by web\n"}
    services:
      web: {command: "sleep 0.5; exec python3 -m http.server 8080 --bind 0.0.0.0 --directory /srv"%s}
  client: {}
links:
  - {endpoints: [srv:eth0, client:eth0], addresses: [10.9.0.1/24, 10.9.0.2/24]}
expect:
  - {from: client, to: srv, tcp: 8080}
`

var readyInRE = regexp.MustCompile(`(?m)^services ready in ([0-9.]+)s$`)

// readyIn is how long up said its services took to be ready.
func readyIn(t *testing.T, stdout string) float64 {
	t.Helper()
	m := readyInRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("up did not say the services are ready:\n%s", stdout)
	}
	s, _ := strconv.ParseFloat(m[1], 64)
	return s
}

// TestReadyUpThenCheck: up returns once the service listens, so check
// right after it connects (the server takes half a second to listen);
// a no-op up finds it ready at once, and an edit of ready: alone
// restarts nothing.
func TestReadyUpThenCheck(t *testing.T) {
	l := newLab(t, "rdy", strings.Replace(slowWebLab, "%s", ", ready: {tcp: 8080}", 1))
	readyIn(t, l.Must("up", l.File).Stdout)
	if r := l.Topo("check", l.Name); r.Code != 0 {
		t.Fatalf("check right after up: %v", r)
	}
	pid := services(t, l)["srv/web"].Pid
	again := l.Must("up", l.File)
	if !strings.Contains(again.Stdout, "up to date") || readyIn(t, again.Stdout) >= 0.5 {
		t.Errorf("a no-op up waited for a service already ready:\n%s", again.Stdout)
	}
	l.Write(strings.Replace(slowWebLab, "%s", "", 1))
	if steps := l.Up(); len(steps) != 0 {
		t.Errorf("removing ready: plans %v", steps)
	}
	if now := services(t, l)["srv/web"]; now.Pid != pid || now.State != service.StateRunning {
		t.Errorf("removing ready: restarted the service: pid %d, then %+v", pid, now)
	}
}

// TestReadyTimeout: a service that never listens fails up after
// --wait, named with what it waits for, its state and its log; the lab
// stays up.
func TestReadyTimeout(t *testing.T) {
	l := newLab(t, "rdyt", `
hosts:
  h1:
    services:
      idle: {command: "sleep 100", ready: {tcp: 8081}}
      dns: {command: "sleep 100", ready: {udp: 5353}}
`)
	r := l.Topo("up", "--wait", "1s", l.File)
	if r.Code == 0 {
		t.Fatalf("up succeeded with a service that never listens: %v", r)
	}
	for _, want := range []string{
		"services not ready after 1s",
		"h1/idle: nothing listens on tcp/8081 (running, pid ",
		"see `topo logs h1/idle`",
		"h1/dns: nothing is bound to udp/5353 (running",
		"the rest of the lab is up",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("up does not say %q:\n%s", want, r.Stderr)
		}
	}
	if st := l.Must("status", l.Name).Stdout; !strings.Contains(st, "h1/idle") {
		t.Errorf("the lab is not up after the timeout:\n%s", st)
	}
}

// TestReadyAfter: a service after one with ready: starts once that one
// listens: it fetches the page the first serves, with no retry (it
// would be refused before).
func TestReadyAfter(t *testing.T) {
	l := newLab(t, "rdya", strings.Replace(slowWebLab, "%s", `, ready: {tcp: 8080}}
      fetch: {restart: never, after: [web], command: "python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8080/index.html').read().decode())\""`, 1))
	l.Up()
	s := waitService(t, l, "srv/fetch", "exited", func(s service.State) bool { return s.State == service.StateExited })
	logs := l.Must("logs", "--lab", l.Name, "srv/fetch", "-n", "50").Stdout
	if s.Exit == nil || *s.Exit != 0 || !strings.Contains(logs, "made by web") {
		t.Errorf("fetch did not get the page (%+v):\n%s", s, logs)
	}
}

// TestWebExampleUpThenCheck: examples/web.yaml, up and at once check,
// as a script would: its tcp: 80 expectation holds.
func TestWebExampleUpThenCheck(t *testing.T) {
	l := newLab(t, "rdyweb", "")
	l.File = l.WriteRenamed("../../examples/web.yaml")
	readyIn(t, l.Must("up", l.File).Stdout)
	if r := l.Topo("check", l.Name); r.Code != 0 {
		t.Fatalf("check right after up: %v", r)
	}
}

// TestReadyAfterStartFailure: a service after one with ready: that
// cannot be started fails up, named with its node, once the one it
// comes after is ready, as one after nothing would.
func TestReadyAfterStartFailure(t *testing.T) {
	l := newLab(t, "rdyf", `
hosts:
  h1:
    services:
      web: {command: "python3 -m http.server 8082 --bind 127.0.0.1", ready: {tcp: 8082}}
      bad: {after: [web], command: "/no/such/program"}
`)
	r := l.Topo("up", l.File)
	if r.Code == 0 || !strings.Contains(r.Stderr, "node h1 service bad: ") {
		t.Fatalf("up with a service after web that cannot start: %v", r)
	}
	readyIn(t, r.Stdout)
}

// TestReadyInterrupted: Ctrl-C while up waits for a service says the
// wait was interrupted, not that it timed out.
func TestReadyInterrupted(t *testing.T) {
	l := newLab(t, "rdyi", `
hosts:
  h1:
    services:
      idle: {command: "sleep 100", ready: {tcp: 8081}}
`)
	p := l.Start("up", l.File)
	dir := filepath.Join(l.StateDir, l.Name, "services")
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Running, and the supervisor has answered up's hand-over
		// (generation 1): up waits for the service to be ready.
		if st, _ := service.ReadStatus(dir); st != nil && st.Gen >= 1 && len(st.Services) == 1 && st.Services[0].State == service.StateRunning {
			break
		}
		if time.Now().After(deadline) {
			p.Cmd.Process.Kill()
			t.Fatalf("h1/idle never ran: %v", p.Wait())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.Cmd.Process.Signal(os.Interrupt)
	r := p.Wait()
	if r.Code == 0 || !strings.Contains(r.Stderr, "interrupted while waiting for services") || strings.Contains(r.Stderr, "not ready after") {
		t.Errorf("Ctrl-C during the wait: %v", r)
	}
}

// TestReadyWaitShared: --wait bounds the waits for services and for
// leases together: the lease wait has what the services left.
func TestReadyWaitShared(t *testing.T) {
	l := newLab(t, "rdyw", `
hosts:
  srv:
    services:
      web: {command: "sleep 1; exec python3 -m http.server 8083 --bind 127.0.0.1", ready: {tcp: 8083}}
  h1: {}
links:
  - endpoints: [{node: srv, interface: eth0, addresses: [10.9.1.1/24]}, {node: h1, interface: eth0, addresses: dhcp}]
`)
	// No DHCP server: the lease never comes.
	r := l.Topo("up", "--wait", "3s", l.File)
	readyIn(t, r.Stdout)
	m := regexp.MustCompile(`do not hold every address after ([0-9.]+)s`).FindStringSubmatch(r.Stderr)
	if r.Code == 0 || m == nil {
		t.Fatalf("up with a lease that never comes: %v", r)
	}
	if s, _ := strconv.ParseFloat(m[1], 64); s >= 3 {
		t.Errorf("the lease wait had %.1fs of --wait 3s, after a second for the services", s)
	}
}
