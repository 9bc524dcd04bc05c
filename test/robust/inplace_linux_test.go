package robust

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// startSleeper leaves `sleep MARK` running inside a node (via topo
// exec) and returns its argv; cleanup kills it. MARK is made of this
// run's pid and seq, a number unique within the test.
func (l *labT) startSleeper(node string, seq int) []string {
	l.T.Helper()
	mark := strconv.Itoa(2000000 + os.Getpid()%100000*10 + seq)
	l.Must("exec", "--lab", l.Name, node, "--", "sh", "-c", "sleep "+mark+" </dev/null >/dev/null 2>&1 &")
	argv := []string{"sleep", mark}
	l.T.Cleanup(func() {
		for _, pid := range e2e.Processes(argv...) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if len(e2e.Processes(argv...)) != 1 {
		l.T.Fatalf("sleeper %v in %s is not running", argv, node)
	}
	return argv
}

// TestInPlaceKeepsProcesses changes every field that can change in
// place — address, MTU, MAC, route, sysctl, forwarding, link state —
// one at a time, and checks what cmd/topo's TestE2EInPlaceChanges does
// not: the processes running in both nodes survive each change, still
// in their namespace, and the veth pair is the same one (its interface
// indexes do not change).
func TestInPlaceKeepsProcesses(t *testing.T) {
	l := newLab(t, "inplace", e2e.PairBody)
	l.Up()
	sleepers := map[string][]string{"h1": l.startSleeper("h1", 1), "h2": l.startSleeper("h2", 2)}
	pids := map[string]int{}
	for n, argv := range sleepers {
		pids[n] = e2e.Processes(argv...)[0]
	}
	inodes := map[string]uint64{"h1": testns.Inode(t, l.NS("h1")), "h2": testns.Inode(t, l.NS("h2"))}
	index := map[string]int{"h1": ifindex(t, l.NS("h1"), "eth0"), "h2": ifindex(t, l.NS("h2"), "eth0")}

	h1 := func(extra string) string { return strings.Replace(e2e.PairBody, "  h1: {}\n", "  h1:\n"+extra, 1) }
	routed := h1("    routes:\n      - {to: 10.99.0.0/16, via: 10.77.1.2}\n")
	for _, tc := range []struct {
		desc, body string
		base       string // the file before and after the change; "" for e2e.PairBody
	}{
		{"address", strings.Replace(e2e.PairBody, "10.77.1.1/24", "10.77.1.11/24", 1), ""},
		{"mtu", e2e.PairBody + "    mtu: 1400\n", ""},
		{"mac", strings.Replace(e2e.PairBody, "[h1:eth0, h2:eth0]\n    addresses: [10.77.1.1/24, 10.77.1.2/24]",
			"\n      - {node: h1, interface: eth0, addresses: [10.77.1.1/24], mac: \"02:00:00:77:03:01\"}\n      - {node: h2, interface: eth0, addresses: [10.77.1.2/24]}", 1), ""},
		{"route", routed, ""},
		{"sysctl", h1("    sysctls: {net.ipv4.icmp_echo_ignore_all: \"1\"}\n"), ""},
		{"forwarding", h1("    forward: true\n"), ""},
		{"link state", e2e.PairBody + "    state: down\n", ""},
		// The kernel drops the route with the old address, and with the
		// link set down; up puts it back in the same run.
		{"readdress with a route", strings.Replace(routed, "10.77.1.1/24", "10.77.1.11/24", 1), routed},
		{"link down then up with a route", routed + "    state: down\n", routed},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			seq := []string{tc.body, e2e.PairBody} // the change, and back
			if tc.base != "" {
				seq = []string{tc.base, tc.body, tc.base, e2e.PairBody}
			}
			for _, body := range seq {
				l.Write(body)
				if steps := l.Up(); len(steps) == 0 && body == tc.body {
					t.Fatalf("up of the changed file changed nothing")
				}
				if strings.Contains(body, "routes:") && !strings.Contains(body, "state: down") {
					if got := kernelRoutes(t, l.NS("h1")); got != "10.99.0.0/16 via 10.77.1.2" {
						t.Errorf("h1 routes after up: %q, want the file's", got)
					}
				}
				if steps := l.Plan(); len(steps) > 0 {
					t.Errorf("plan after up is not empty: %v", steps)
				}
				for _, n := range []string{"h1", "h2"} {
					if got := testns.Inode(t, l.NS(n)); got != inodes[n] {
						t.Errorf("namespace %s was replaced", l.NS(n))
					}
					if got := ifindex(t, l.NS(n), "eth0"); got != index[n] {
						t.Errorf("%s eth0 was recreated (index %d -> %d)", n, index[n], got)
					}
					if got := e2e.Processes(sleepers[n]...); len(got) != 1 || got[0] != pids[n] || e2e.NetnsOf(pids[n]) != inodes[n] {
						t.Fatalf("process %v (pid %d) in %s did not survive: now %v", sleepers[n], pids[n], n, got)
					}
				}
			}
		})
	}
}
