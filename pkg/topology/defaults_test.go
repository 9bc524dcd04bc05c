package topology

import (
	"strings"
	"testing"
)

// TestNodeDefaults checks the table's shape: valid keys, each once,
// what every node gets also in a host's list, forwarding off and
// written before conf.all.accept_redirects (which its write resets),
// and every IPv4 conf setting given for both "all" and "default".
func TestNodeDefaults(t *testing.T) {
	hosts, switches := NodeDefaults(KindHost), NodeDefaults(KindSwitch)
	pos := map[string]int{}
	for i, s := range hosts {
		if err := CheckSysctlKey(s.Key); err != "" {
			t.Errorf("%s: %s", s.Key, err)
		}
		if _, dup := pos[s.Key]; dup {
			t.Errorf("%s listed twice", s.Key)
		}
		pos[s.Key] = i
		if v, ok := NodeDefault(KindHost, s.Key); !ok || v != s.Value {
			t.Errorf("NodeDefault(host, %s) = %q, %v; want %q", s.Key, v, ok, s.Value)
		}
		if rest, ok := strings.CutPrefix(s.Key, "net.ipv4.conf.all."); ok {
			if _, ok := NodeDefault(KindHost, "net.ipv4.conf.default."+rest); !ok {
				t.Errorf("%s has no conf.default partner", s.Key)
			}
		}
	}
	for _, s := range switches {
		if v, ok := NodeDefault(KindHost, s.Key); !ok || v != s.Value {
			t.Errorf("switch default %s=%s is not a host default (%q)", s.Key, s.Value, v)
		}
	}
	for _, k := range []string{SysctlForwardV4, SysctlForwardV6, "net.ipv4.conf.default.forwarding", "net.ipv6.conf.default.forwarding"} {
		if v, _ := NodeDefault(KindHost, k); v != "0" {
			t.Errorf("host default %s = %q, want 0", k, v)
		}
	}
	if pos[SysctlForwardV4] > pos[sysctlAcceptRedirectsAll] {
		t.Errorf("%s is written after %s, and its write would reset it", SysctlForwardV4, sysctlAcceptRedirectsAll)
	}
	if _, ok := NodeDefault(KindSwitch, SysctlForwardV4); ok {
		t.Error("switches have no IP settings, yet ip_forward is a switch default")
	}
}

// kernelModel is the part of a namespace's sysctls the planner reasons
// about, changed the way the kernel changes it: a new node starts
// from NodeDefaults (node.Create writes them), and a changed ip_forward
// also sets conf.all.accept_redirects to its opposite.
type kernelModel map[string]map[string]string

func (k kernelModel) apply(t *testing.T, l *Lab, p *Plan) {
	t.Helper()
	for _, s := range p.Steps {
		switch s.Op {
		case OpCreateNode:
			k[s.Node] = map[string]string{}
			for _, d := range NodeDefaults(l.Node(s.Node).Kind) {
				k[s.Node][d.Key] = d.Value
			}
		case OpSetSysctl:
			old := k[s.Node][s.Key]
			k[s.Node][s.Key] = s.Value
			if s.Key == SysctlForwardV4 && old != s.Value {
				k[s.Node]["net.ipv4.conf.all.accept_redirects"] = map[string]string{"0": "1", "1": "0"}[s.Value]
			}
		}
	}
}

// observed is observedFrom(l) with the sysctls the model holds.
func (k kernelModel) observed(l *Lab) *Observed {
	o := observedFrom(l)
	for name, on := range o.Nodes {
		on.Sysctls = map[string]string{}
		for key, v := range k[name] {
			on.Sysctls[key] = v
		}
	}
	return o
}

// TestDiffFreshNodeDefaults: for a node it creates, the planner assumes
// NodeDefaults, so it plans a sysctl only where the file (or forward:
// true) asks for something else, forwarding before the rest; once
// those steps are applied to a namespace that starts from the
// defaults, the next plan is empty.
func TestDiffFreshNodeDefaults(t *testing.T) {
	l := parseLab(t, `
name: d
hosts:
  h1: {}
  r1: {forward: true}
  r2:
    forward: true
    sysctls: {net.ipv4.conf.all.accept_redirects: "1"}
  h2:
    sysctls:
      net.ipv4.conf.all.rp_filter: "1"
      net.ipv4.conf.all.arp_ignore: "0"
      net.ipv4.icmp_echo_ignore_all: "1"
switches:
  s1: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [r1, s1]
  - endpoints: [r2, s1]
  - endpoints: [h2, s1]
`)
	p := Diff(l, Current{})
	var got []string
	for _, s := range p.Steps {
		if s.Op == OpSetSysctl {
			got = append(got, s.Node+" "+s.Key+"="+s.Value)
		}
	}
	want := []string{
		"r1 net.ipv4.ip_forward=1", "r1 net.ipv6.conf.all.forwarding=1",
		// ip_forward=1 turned accept_redirects off: the file's 1 follows.
		"r2 net.ipv4.ip_forward=1", "r2 net.ipv6.conf.all.forwarding=1", "r2 net.ipv4.conf.all.accept_redirects=1",
		// arp_ignore=0 is the default already.
		"h2 net.ipv4.conf.all.rp_filter=1", "h2 net.ipv4.icmp_echo_ignore_all=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sysctl steps for a new lab:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	k := kernelModel{}
	k.apply(t, l, p)
	if next := Diff(l, Current{Applied: l, Observed: k.observed(l)}); !next.Empty() {
		t.Errorf("plan after applying is not empty:\n%s", strings.Join(steps(next), "\n"))
	}
}

// TestDiffRestoresLabDefault: a sysctl with a lab default that leaves
// the file goes back to that default, not to the value the namespace
// held before topo first set it (SysctlOriginal, which for an older
// lab may be the root namespace's); on a router, conf.all.
// accept_redirects goes back to 0, what a fresh build of it holds.
func TestDiffRestoresLabDefault(t *testing.T) {
	const without = `
name: d
hosts:
  h1: {}
  r1: {forward: true}
links:
  - endpoints: [h1, r1]
`
	with := strings.Replace(without, "  h1: {}", `  h1: {sysctls: {net.ipv4.conf.all.rp_filter: "1"}}`, 1)
	with = strings.Replace(with, "  r1: {forward: true}", `  r1: {forward: true, sysctls: {net.ipv4.conf.all.accept_redirects: "1"}}`, 1)
	had, desired := parseLab(t, with), parseLab(t, without)
	obs := observedFrom(had)
	orig := map[string]map[string]string{
		"h1": {"net.ipv4.conf.all.rp_filter": "2"},
		"r1": {"net.ipv4.conf.all.accept_redirects": "1"},
	}
	got := steps(Diff(desired, Current{Applied: had, Observed: obs, SysctlOriginal: orig}))
	want := []string{
		"~ h1 sysctl net.ipv4.conf.all.rp_filter = 0 (removed from file: lab default 0)",
		"~ r1 sysctl net.ipv4.conf.all.accept_redirects = 0 (removed from file: lab default 0)",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if squash(got[i]) != squash(want[i]) {
			t.Errorf("step %d = %q, want %q", i, got[i], want[i])
		}
	}
}
