package robust

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// pairBody is two hosts joined by one veth pair.
const pairBody = `hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
`

// startSleeper leaves `sleep MARK` running inside a node (via topo
// exec) and returns its argv; cleanup kills it. MARK is made of this
// run's pid and seq, a number unique within the test.
func (l *labT) startSleeper(node string, seq int) []string {
	l.t.Helper()
	mark := strconv.Itoa(2000000 + os.Getpid()%100000*10 + seq)
	l.must("exec", "--lab", l.name, node, "--", "sh", "-c", "sleep "+mark+" </dev/null >/dev/null 2>&1 &")
	argv := []string{"sleep", mark}
	l.t.Cleanup(func() {
		for _, pid := range processes(argv...) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if len(processes(argv...)) != 1 {
		l.t.Fatalf("sleeper %v in %s is not running", argv, node)
	}
	return argv
}

// netnsOf is the network namespace inode of a process (0 if gone).
func netnsOf(pid int) uint64 {
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return 0
	}
	ino, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
	return ino
}

// TestInPlaceKeepsProcesses changes every field that can change in
// place — address, MTU, MAC, route, sysctl, forwarding, link state —
// one at a time, and checks what cmd/topo's TestE2EInPlaceChanges does
// not: the processes running in both nodes survive each change, still
// in their namespace, and the veth pair is the same one (its interface
// indexes do not change).
func TestInPlaceKeepsProcesses(t *testing.T) {
	l := newLab(t, "inplace", pairBody)
	l.up()
	sleepers := map[string][]string{"h1": l.startSleeper("h1", 1), "h2": l.startSleeper("h2", 2)}
	pids := map[string]int{}
	for n, argv := range sleepers {
		pids[n] = processes(argv...)[0]
	}
	inodes := map[string]uint64{"h1": nsInode(t, l.ns("h1")), "h2": nsInode(t, l.ns("h2"))}
	index := map[string]int{"h1": ifindex(t, l.ns("h1"), "eth0"), "h2": ifindex(t, l.ns("h2"), "eth0")}

	h1 := func(extra string) string { return strings.Replace(pairBody, "  h1: {}\n", "  h1:\n"+extra, 1) }
	for _, tc := range []struct{ desc, body string }{
		{"address", strings.Replace(pairBody, "10.77.1.1/24", "10.77.1.11/24", 1)},
		{"mtu", pairBody + "    mtu: 1400\n"},
		{"mac", strings.Replace(pairBody, "[h1:eth0, h2:eth0]\n    addresses: [10.77.1.1/24, 10.77.1.2/24]",
			"\n      - {node: h1, interface: eth0, addresses: [10.77.1.1/24], mac: \"02:00:00:77:03:01\"}\n      - {node: h2, interface: eth0, addresses: [10.77.1.2/24]}", 1)},
		{"route", h1("    routes:\n      - {to: 10.99.0.0/16, via: 10.77.1.2}\n")},
		{"sysctl", h1("    sysctls: {net.ipv4.icmp_echo_ignore_all: \"1\"}\n")},
		{"forwarding", h1("    forward: true\n")},
		{"link state", pairBody + "    state: down\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			for i, body := range []string{tc.body, pairBody} { // the change, and back
				l.write(body)
				if steps := l.up(); len(steps) == 0 && i == 0 {
					t.Fatalf("up of the changed file changed nothing")
				}
				if steps := l.plan(); len(steps) > 0 {
					t.Errorf("plan after up is not empty: %v", steps)
				}
				for _, n := range []string{"h1", "h2"} {
					if got := nsInode(t, l.ns(n)); got != inodes[n] {
						t.Errorf("namespace %s was replaced", l.ns(n))
					}
					if got := ifindex(t, l.ns(n), "eth0"); got != index[n] {
						t.Errorf("%s eth0 was recreated (index %d -> %d)", n, index[n], got)
					}
					if got := processes(sleepers[n]...); len(got) != 1 || got[0] != pids[n] || netnsOf(pids[n]) != inodes[n] {
						t.Fatalf("process %v (pid %d) in %s did not survive: now %v", sleepers[n], pids[n], n, got)
					}
				}
			}
		})
	}
}
