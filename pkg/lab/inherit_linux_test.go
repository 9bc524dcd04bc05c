package lab

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// inheritDevconf is the sysctl that says what a new namespace copies
// from the root one: 0 (the kernel's default) copies IPv4's conf.all
// and conf.default, 2 copies nothing.
const inheritDevconf = "/proc/sys/net/core/devconf_inherit_init_net"

// notKernelDefaults are the NodeDefaults that deliberately differ from
// the kernel's own values (see pkg/topology/defaults.go).
var notKernelDefaults = map[string]bool{
	"net.ipv6.conf.default.accept_dad":           true,
	"net.ipv6.conf.default.router_solicitations": true,
	"net.ipv4.conf.default.promote_secondaries":  true,
	"net.ipv6.conf.all.keep_addr_on_down":        true,
}

// asymmetricLab: h1 reaches h2 through r1 and h2 answers through r2,
// so every packet of a ping enters h2 and r2 on an interface their
// routes back do not use, which strict reverse-path filtering
// (rp_filter = 1) drops. h1 reaches h3 through p, a plain host.
const asymmetricLab = `
hosts:
  h1:
    routes:
      - {to: 10.3.0.0/24, via: 10.1.0.2}
      - {to: 10.5.0.0/24, via: 10.1.0.4}
  r1: {forward: true}
  r2: {forward: true}
  h2: {routes: [{to: 10.1.0.0/24, via: 10.4.0.3}]}
  p: {}
  h3: {routes: [{to: 10.1.0.0/24, via: 10.5.0.4}]}
switches:
  s1: {}
links:
  - {endpoints: [h1, s1], addresses: [10.1.0.1/24]}
  - {endpoints: [r1, s1], addresses: [10.1.0.2/24]}
  - {endpoints: [r2, s1], addresses: [10.1.0.3/24]}
  - {endpoints: [p, s1], addresses: [10.1.0.4/24]}
  - {endpoints: [r1, h2], addresses: [10.3.0.2/24, 10.3.0.4/24]}
  - {endpoints: [r2, h2], addresses: [10.4.0.3/24, 10.4.0.4/24]}
  - {endpoints: [p, h3], addresses: [10.5.0.4/24, 10.5.0.5/24]}
`

// TestInheritedSysctls runs only in the test VM of `make test-kernel`,
// whose root namespace is the test's to change. It checks that
// NodeDefaults are the kernel's own values (read in a namespace that
// inherits nothing), then sets the root namespace's value of every one
// of them to something else (ip_forward and rp_filter on, redirects
// off, ...) and checks that a lab built there does not care: each
// host's namespace holds the defaults, a plain host does not forward,
// a lab with asymmetric routes answers pings, and the plan after up is
// empty.
func TestInheritedSysctls(t *testing.T) {
	if os.Getenv("TOPO_KERNEL_VM") != "1" {
		t.Skip("skipped: changes the root namespace's sysctls, which only the VM of `make test-kernel` may do (its /init sets TOPO_KERNEL_VM=1)")
	}
	useRoot(t)
	defaults := topology.NodeDefaults(topology.KindHost)

	kernel := readFresh(t, "2")
	for _, s := range defaults {
		switch {
		case notKernelDefaults[s.Key] && kernel[s.Key] == s.Value:
			t.Errorf("%s: the kernel's default is %s too; take it off notKernelDefaults", s.Key, s.Value)
		case notKernelDefaults[s.Key]:
			t.Logf("%s: topo %s, kernel %s", s.Key, s.Value, kernel[s.Key])
		case kernel[s.Key] != s.Value:
			t.Errorf("%s: topo's default is %s, the kernel's %s", s.Key, s.Value, kernel[s.Key])
		}
	}

	// Every root value other than topo's; a namespace that inherits
	// from the root copies the IPv4 ones.
	for _, s := range defaults {
		other := "1"
		if s.Value != "0" {
			other = "0"
		}
		setRoot(t, s.Key, other)
	}
	inherited := readFresh(t, "0")
	for _, s := range defaults {
		if strings.HasPrefix(s.Key, "net.ipv4.") && inherited[s.Key] == s.Value {
			t.Errorf("a new namespace holds %s = %s, not the root namespace's value: the test would prove nothing", s.Key, s.Value)
		}
	}

	name := testns.Name("-inherit")
	l := upLab(t, name, asymmetricLab)
	for _, h := range []string{"h1", "h2", "h3", "p"} {
		checkSysctls(t, name, h, hostDefaults())
	}
	checkSysctls(t, name, "r1", routerDefaults())
	checkSysctls(t, name, "r2", routerDefaults())
	// The interfaces start from conf.default.
	for _, h := range []string{"h2", "p"} {
		checkSysctls(t, name, h, map[string]string{
			"net.ipv4.conf.eth0.forwarding": "0", "net.ipv4.conf.eth0.rp_filter": "0",
			"net.ipv4.conf.eth1.forwarding": "0", "net.ipv4.conf.eth1.rp_filter": "0",
		})
	}
	checkPlanEmpty(t, l, "after up")

	h1 := openNode(t, name, "h1")
	if got := ping(t, h1, "10.3.0.4", 5); got == 0 {
		t.Errorf("h1 -> h2 (via r1, back via r2): no reply; reverse-path filtering or forwarding is on where it should not be")
	}
	if got := ping(t, h1, "10.5.0.5", 2); got != 0 {
		t.Errorf("h1 -> h3 through p: %d replies; p is a plain host and must not forward", got)
	}
	// The only thing between h1 and h3 was p's forwarding.
	upLab(t, name, strings.Replace(asymmetricLab, "  p: {}", "  p: {forward: true}", 1))
	if got := ping(t, h1, "10.5.0.5", 5); got == 0 {
		t.Errorf("h1 -> h3 through p with forward: true: no reply")
	}
}

// readFresh sets devconf_inherit_init_net to inherit, reads every host
// default's key in a new namespace, and puts the setting back.
func readFresh(t *testing.T, inherit string) map[string]string {
	t.Helper()
	const key = "net.core.devconf_inherit_init_net"
	old := writeRoot(t, key, inherit)
	defer writeRoot(t, key, old)
	out := map[string]string{}
	err := node.InThrowawayNetns(func() error {
		for _, s := range topology.NodeDefaults(topology.KindHost) {
			b, err := os.ReadFile(procPath(s.Key))
			if err != nil {
				return err
			}
			out[s.Key] = strings.TrimSpace(string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setRoot writes a sysctl of the root namespace and puts its value
// back at cleanup. Only for the test VM.
func setRoot(t *testing.T, key, value string) {
	t.Helper()
	old := writeRoot(t, key, value)
	t.Cleanup(func() { os.WriteFile(procPath(key), []byte(old), 0) })
}

// writeRoot writes a sysctl of the root namespace and returns the
// value it had. Only for the test VM.
func writeRoot(t *testing.T, key, value string) string {
	t.Helper()
	old, err := os.ReadFile(procPath(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(procPath(key), []byte(value), 0); err != nil {
		t.Fatalf("root namespace: %s = %s: %v", key, value, err)
	}
	return strings.TrimSpace(string(old))
}

func procPath(key string) string { return "/proc/sys/" + strings.ReplaceAll(key, ".", "/") }

// ping sends up to count echo requests from ns to dst, each given 2s,
// stopping at the first reply, and returns how many were answered.
func ping(t *testing.T, ns *node.Namespace, dst string, count int) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := probe.Ping(ctx, ns, netip.MustParseAddr(dst), probe.PingOptions{
		Count: count, Interval: time.Millisecond, Timeout: 2 * time.Second,
		OnReply: func(r probe.PingReply) {
			if r.Received {
				cancel()
			}
		},
	})
	if err != nil {
		t.Fatalf("ping %s from %s: %v", dst, ns.Name, err)
	}
	return st.Received
}
