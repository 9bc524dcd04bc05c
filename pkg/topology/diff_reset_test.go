package topology

import (
	"strings"
	"testing"
)

func TestDiffReset(t *testing.T) {
	src := strings.Replace(diffBase, "  h1: {}\n", "  h1:\n    exec: [\"true\"]\n    sysctls: {net.ipv4.icmp_echo_ignore_all: \"1\"}\n", 1)
	l := parseLab(t, src)
	obs := observedFrom(l)
	obs.Nodes["h1"].Leftovers = &Leftovers{
		Processes:  2,
		Neighbours: 1,
		Sysctls: map[string][2]string{
			"net.ipv4.conf.eth0.rp_filter":   {"1", "0"},
			"net.ipv4.icmp_echo_ignore_all":  {"1", "1"}, // the file's: not reset here
			"net.ipv4.icmp_ratelimit":        {"0", "1000"},
			"net.ipv4.conf.all.rp_filter":    {"1", "0"}, // a lab default: drift, planned once
			"net.ipv4.conf.dummy0.rp_filter": {"1", "0"}, // of an interface that goes
		},
	}
	obs.Nodes["h1"].Sysctls["net.ipv4.conf.all.rp_filter"] = "1"
	obs.Nodes["h1"].Ifaces["dummy0"] = &ObservedIface{Name: "dummy0", Kind: "dummy", AdminUp: true}
	obs.Nodes["h2"].Leftovers = &Leftovers{}
	want := []string{
		"- h1 processes  (reset: 2 processes running)",
		"- h1:dummy0 interface  (reset: not in file)",
		"~ h1 sysctl net.ipv4.conf.all.rp_filter = 0  (drift: sysctl 1 -> 0, the lab default)",
		"~ h1 sysctl net.ipv4.conf.eth0.rp_filter = 0  (reset: was 1)",
		"~ h1 sysctl net.ipv4.icmp_ratelimit = 1000  (reset: was 0)",
		"- h1 neighbour entries  (reset: 1 entry)",
		"! h1 run exec commands  (reset: run again)",
	}
	p := Diff(l, Current{Applied: l, Observed: obs, Reset: true})
	got := steps(p)
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if squash(got[i]) != squash(w) {
			t.Errorf("step %d = %q, want %q", i, got[i], w)
		}
	}
	if got := steps(Diff(l, Current{Applied: l, Observed: obs})); len(got) != 1 || !strings.Contains(got[0], "conf.all.rp_filter") {
		t.Errorf("without Reset, want only the drift of the lab default:\n%s", strings.Join(got, "\n"))
	}
	// A lab with nothing left over still runs its exec commands again.
	clean := observedFrom(l)
	for _, n := range clean.Nodes {
		n.Leftovers = &Leftovers{}
	}
	if got := steps(Diff(l, Current{Applied: l, Observed: clean, Reset: true})); len(got) != 1 || !strings.Contains(got[0], "! h1 run exec commands") {
		t.Errorf("reset of a clean lab: %q, want only h1's exec run again", got)
	}
}
