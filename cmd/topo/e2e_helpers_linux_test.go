package main

// Helpers for the end-to-end tests in e2e_linux_test.go. Building
// topo, running it with a private state directory per lab, lab names
// no other run can share and the cleanup are internal/e2e's; what is
// here reads the interfaces of a node and follows processes in them.

import (
	"encoding/json"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m, "e2e") }

// labT is one lab under test (see e2e.Lab), with the probes of these
// tests as methods.
type labT struct{ *e2e.Lab }

// newLab prepares a lab named RunID-tag; body is a topology file
// without its name line. Cleanup takes the lab down and checks that
// nothing of it remains.
func newLab(t *testing.T, tag, body string) *labT {
	t.Helper()
	return &labT{e2e.NewLab(t, tag, body)}
}

// iface is one interface as `ip -j addr` shows it.
type iface struct {
	Name      string   `json:"ifname"`
	Flags     []string `json:"flags"`
	MTU       int      `json:"mtu"`
	OperState string   `json:"operstate"`
	MAC       string   `json:"address"`
	AddrInfo  []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func (i iface) up() bool {
	for _, f := range i.Flags {
		if f == "UP" {
			return true
		}
	}
	return false
}

// addrs lists the interface's global addresses as prefixes.
func (i iface) addrs() []string {
	var out []string
	for _, a := range i.AddrInfo {
		if strings.HasPrefix(a.Local, "fe80:") {
			continue
		}
		out = append(out, a.Local+"/"+strconv.Itoa(a.PrefixLen))
	}
	return out
}

// ifaces reads the interfaces of a namespace by name.
func ifaces(t *testing.T, ns string) map[string]iface {
	t.Helper()
	var list []iface
	if err := json.Unmarshal([]byte(e2e.Sh(t, "ip", "-j", "-n", ns, "addr", "show")), &list); err != nil {
		t.Fatalf("ip -j -n %s addr: %v", ns, err)
	}
	out := map[string]iface{}
	for _, i := range list {
		out[i.Name] = i
	}
	return out
}

// brAddr is `ip -n NS -br addr` as a map from interface (without its
// @peer suffix) to the rest of its line.
func brAddr(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(e2e.Sh(t, "ip", "-n", ns, "-br", "addr"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name, _, _ := strings.Cut(f[0], "@")
		out[name] = strings.Join(f[1:], " ")
	}
	return out
}

// sleeper is a process left running inside a node.
type sleeper struct {
	pid  int
	mark string // its sleep argument, to tell it from a reused pid
}

// startSleeper starts `sleep` in the background inside a node via topo
// exec and returns it; cleanup kills it if it is still there.
func (l *labT) startSleeper(node string) sleeper {
	l.T.Helper()
	mark := strconv.Itoa(5000 + int(time.Now().UnixNano()%4000))
	r := l.Must("exec", "--lab", l.Name, node, "--", "sh", "-c", "sleep "+mark+" </dev/null >/dev/null 2>&1 & echo $!")
	pid, err := strconv.Atoi(strings.TrimSpace(r.Stdout))
	if err != nil {
		l.T.Fatalf("pid of the sleeper: %v (%q)", err, r.Stdout)
	}
	s := sleeper{pid: pid, mark: mark}
	l.T.Cleanup(func() {
		if _, ok := s.netns(); ok {
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
	})
	// $! names the forked shell until it has exec'd sleep: give it a
	// moment to become the sleeper before declaring it missing.
	if !e2e.Eventually(func() bool { _, ok := s.netns(); return ok }) {
		l.T.Fatalf("sleeper %d in %s is not running", pid, node)
	}
	return s
}

// netns returns the inode of the sleeper's network namespace and
// whether it is still alive (not gone, not a zombie, same command).
func (s sleeper) netns() (uint64, bool) {
	if !e2e.Alive(s.pid, "sleep", s.mark) {
		return 0, false
	}
	ino := e2e.NetnsOf(s.pid)
	return ino, ino != 0
}

// gone reports whether the sleeper has died. SIGKILL is sent without
// waiting, so a dying process gets a few seconds to finish exiting;
// this is a bound on how long to look, not an assertion on speed.
func (s sleeper) gone() bool {
	return e2e.Eventually(func() bool {
		_, alive := s.netns()
		return !alive
	})
}
