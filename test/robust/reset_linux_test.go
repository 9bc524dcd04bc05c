package robust

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// resetBody is h1 - r1 - h2 with a route each way; h1 runs an exec
// command that counts its runs in a file (EXECLOG, replaced per test).
const resetBody = `hosts:
  h1:
    routes: [{to: default, via: 10.77.1.2}]
    exec: ["sh -c 'echo run >> EXECLOG'"]
  r1:
    forward: true
  h2:
    routes: [{to: default, via: 10.77.2.2}]
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.77.2.2/24, 10.77.2.3/24]
`

// volatileSysctls change on their own (counters, secrets made on first
// use): they say nothing of what was done in a node.
var volatileSysctls = []string{"nf_conntrack_count", "tcp_fastopen_key", "stable_secret"}

// nodeState is what `ip` and `sysctl` show of a node, to compare a
// reset lab with a fresh one.
func nodeState(t *testing.T, ns string) string {
	t.Helper()
	var keep []string // in order: the kernel lists routes in the order they came
	for _, args := range [][]string{
		{"-n", ns, "-br", "addr"}, {"-n", ns, "-br", "link"},
		{"-n", ns, "route"}, {"-n", ns, "-6", "route"}, {"-n", ns, "neigh"},
	} {
		keep = append(keep, strings.Split(e2e.Sh(t, "ip", args...), "\n")...)
	}
	for _, line := range strings.Split(e2e.Sh(t, "ip", "netns", "exec", ns, "sysctl", "-a", "-e", "-r", `^net\.`), "\n") {
		volatile := false
		for _, v := range volatileSysctls {
			volatile = volatile || strings.Contains(line, v)
		}
		if !volatile {
			keep = append(keep, line)
		}
	}
	sort.Strings(keep)
	return strings.Join(keep, "\n")
}

// TestReset changes a lab by hand in every way a student might — a
// setting, a permanent neighbour entry, a stray process, an address, a
// route, a link set down, an interface added, a lab default changed —
// and checks
// that `topo reset --dry-run` lists it, that `topo reset` (and `topo up
// FILE --reset`) bring every node back to the state of the fresh lab,
// in place (same namespaces), with the exec command run again, and no
// process left in the lab.
func TestReset(t *testing.T) {
	l := newLab(t, "reset", "")
	execLog := filepath.Join(t.TempDir(), "exec.log")
	l.Write(strings.Replace(resetBody, "EXECLOG", execLog, 1))
	l.Up()
	nodes := []string{"h1", "r1", "h2"}
	fresh, inodes := map[string]string{}, map[string]uint64{}
	for _, n := range nodes {
		fresh[n], inodes[n] = nodeState(t, l.NS(n)), testns.Inode(t, l.NS(n))
	}
	runs := func() int {
		b, _ := os.ReadFile(execLog)
		return strings.Count(string(b), "run")
	}
	if runs() != 1 {
		t.Fatalf("exec command ran %d times after up, want 1", runs())
	}

	for _, cmd := range []string{"reset", "up --reset"} {
		t.Run(cmd, func(t *testing.T) {
			l := l.in(t)
			before := runs()
			sleeper := l.startSleeper("h2", 300+before)
			for _, c := range [][]string{
				{"ip", "netns", "exec", l.NS("h1"), "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"},
				{"ip", "netns", "exec", l.NS("r1"), "sysctl", "-qw", "net.ipv4.conf.eth0.rp_filter=1"},
				{"ip", "netns", "exec", l.NS("r1"), "sysctl", "-qw", "net.core.somaxconn=17"},
				{"ip", "-n", l.NS("h1"), "neigh", "replace", "10.77.1.2", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "permanent"},
				{"ip", "-n", l.NS("h2"), "addr", "add", "10.77.2.99/24", "dev", "eth0"},
				{"ip", "-n", l.NS("h2"), "route", "add", "10.66.0.0/16", "via", "10.77.2.2"},
				{"ip", "-n", l.NS("r1"), "link", "set", "eth1", "down"},
				{"ip", "-n", l.NS("h1"), "link", "add", "x0", "type", "veth", "peer", "name", "x1"},
				{"ip", "netns", "exec", l.NS("h2"), "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"},
			} {
				e2e.Sh(t, c[0], c[1:]...)
			}
			dry := l.Must("reset", l.Name, "--dry-run").Stdout
			for _, want := range []string{
				"- h2 processes", "h1 sysctl net.ipv4.icmp_echo_ignore_all = 0", "r1 sysctl net.ipv4.conf.eth0.rp_filter = 0",
				"r1 sysctl net.core.somaxconn = 4096", "- h1 neighbour entries", "- h2:eth0 address 10.77.2.99/24",
				"- h2 route 10.66.0.0/16 via 10.77.2.2", "~ r1:eth1 up", "! h1 run exec commands",
				"- h1:x0 interface", "- h1:x1 interface", "h2 sysctl net.ipv4.conf.all.rp_filter = 0",
			} {
				if !strings.Contains(squash(dry), squash(want)) {
					t.Errorf("reset --dry-run does not list %q:\n%s", want, dry)
				}
			}
			if runs() != before || len(e2e.Processes(sleeper...)) != 1 {
				t.Fatalf("reset --dry-run changed something")
			}
			if cmd == "reset" {
				l.Must("reset", l.Name)
			} else {
				l.Must("up", l.File, "--reset")
			}
			for _, n := range nodes {
				if got := nodeState(t, l.NS(n)); got != fresh[n] {
					t.Errorf("%s after %s differs from the fresh lab:\n%s", n, cmd, lineDiff(fresh[n], got))
				}
				if got := testns.Inode(t, l.NS(n)); got != inodes[n] {
					t.Errorf("%s: namespace replaced by %s", n, cmd)
				}
			}
			if left := e2e.Processes(sleeper...); len(left) > 0 {
				t.Errorf("the process started in h2 survived %s: %v", cmd, left)
			}
			if runs() != before+1 {
				t.Errorf("exec command ran %d times in %s, want once", runs()-before, cmd)
			}
			if steps := l.Plan(); len(steps) > 0 {
				t.Errorf("plan after %s is not empty: %v", cmd, steps)
			}
			if r := l.Must("reset", l.Name, "--dry-run"); !strings.Contains(r.Stdout, "! h1 run exec commands") || len(e2e.PlanSteps(r.Stdout)) != 1 {
				t.Errorf("reset --dry-run after %s lists more than the exec command:\n%v", cmd, r)
			}
		})
	}
}

// squash folds runs of spaces so expectations ignore column padding.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ia, ib := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !ib[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ia[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
