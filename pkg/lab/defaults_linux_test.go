package lab

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestNewHostDefaults: a new host's namespace holds every
// topology.NodeDefaults value, whatever the root namespace holds;
// forward: true and the file's sysctls override them; the lab's
// interfaces start from the "default" values; the plan after up is
// empty; and a sysctl taken out of the file goes back to its default.
// (This machine's root namespace is never changed; TestInheritedSysctls
// runs the same checks where it is, in the test VM.)
func TestNewHostDefaults(t *testing.T) {
	testns.NeedRoot(t, "up builds network namespaces (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	useRoot(t)
	name := testns.Name("-dflt")
	const overrides = `{sysctls: {net.ipv4.conf.all.rp_filter: "2", net.ipv4.conf.default.arp_ignore: "1"}}`
	file := `
hosts:
  h1: {}
  r1: {forward: true}
  h2: ` + overrides + `
switches:
  s1: {}
links:
  - endpoints: [h1, s1]
  - endpoints: [r1, s1]
  - endpoints: [h2, s1]
`
	with := upLab(t, name, file)

	h1, r1, h2 := hostDefaults(), routerDefaults(), hostDefaults()
	h2["net.ipv4.conf.all.rp_filter"] = "2"
	h2["net.ipv4.conf.default.arp_ignore"] = "1"
	checkSysctls(t, name, "h1", h1)
	checkSysctls(t, name, "r1", r1)
	checkSysctls(t, name, "h2", h2)
	// eth0 was made after the defaults were written, so it starts from
	// "default". (A "default" the file sets does not reach it: the
	// kernel stops copying "default" to an interface once it has an
	// address.)
	checkSysctls(t, name, "h1", map[string]string{
		"net.ipv4.conf.eth0.forwarding": "0", "net.ipv4.conf.eth0.rp_filter": "0",
		"net.ipv4.conf.eth0.promote_secondaries": "1", "net.ipv4.conf.eth0.accept_source_route": "1",
		"net.ipv6.conf.eth0.forwarding": "0",
	})
	checkSysctls(t, name, "r1", map[string]string{"net.ipv4.conf.eth0.forwarding": "1", "net.ipv6.conf.eth0.forwarding": "1"})
	checkPlanEmpty(t, with, "after up")

	without := upLab(t, name, strings.Replace(file, overrides, "{}", 1))
	checkSysctls(t, name, "h2", hostDefaults())
	checkPlanEmpty(t, without, "after taking h2's sysctls out of the file")
}

// TestUpRemovesOneOfTwoAddresses: taking the first of two addresses of
// one subnet off an interface keeps the second, and the next plan is
// empty. The kernel deletes the other addresses of the subnet with the
// first unless promote_secondaries (a lab default) is on.
func TestUpRemovesOneOfTwoAddresses(t *testing.T) {
	testns.NeedRoot(t, "up builds network namespaces (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	useRoot(t)
	name := testns.Name("-2addr")
	const file = `
hosts: {h1: {}, h2: {}}
links:
  - endpoints:
      - {node: h1, interface: eth0, addresses: [ADDRS]}
      - {node: h2, interface: eth0, addresses: [10.77.0.2/24]}
`
	upLab(t, name, strings.Replace(file, "ADDRS", "10.77.0.1/24, 10.77.0.5/24", 1))
	l := upLab(t, name, strings.Replace(file, "ADDRS", "10.77.0.5/24", 1))
	ns := openNode(t, name, "h1")
	o, err := link.Observe(ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.77.0.5/24")}
	if got := o.Ifaces["eth0"].Addresses; !slices.Equal(got, want) {
		t.Errorf("h1:eth0 holds %v, want %v", got, want)
	}
	checkPlanEmpty(t, l, "after removing 10.77.0.1/24")
}

// downRegistered holds, while a test runs, the labs it has a down
// registered for, by test and lab name.
var downRegistered sync.Map

// upLab parses file as lab name and brings it up; the lab is taken
// down at cleanup.
func upLab(t *testing.T, name, file string) *topology.Lab {
	t.Helper()
	l, _, err := topology.Parse("lab.yaml", []byte("name: "+name+"\n"+file))
	if err != nil {
		t.Fatal(err)
	}
	// One down per lab and test, registered with the first up, so that
	// it runs after the cleanups of what the test opened since (down
	// --wait waits until nothing holds the lab's namespaces). The key
	// is forgotten with the test: a later test (another -count round)
	// may get the same *testing.T address, and must get its own down.
	key := fmt.Sprintf("%p/%s", t, name)
	if _, seen := downRegistered.LoadOrStore(key, true); !seen {
		t.Cleanup(func() {
			downRegistered.Delete(key)
			if _, err := Down(context.Background(), name, Options{WaitCleanup: true}); err != nil {
				t.Errorf("down %s: %v", name, err)
			}
		})
	}
	if _, err := Up(context.Background(), l, Options{}); err != nil {
		t.Fatalf("up %s: %v", name, err)
	}
	return l
}

// openNode opens a node's namespace, closed at cleanup.
func openNode(t *testing.T, lab, nodeName string) *node.Namespace {
	t.Helper()
	ns, err := node.Open(topology.Namespace(lab, nodeName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// hostDefaults is what a plain host's namespace must hold.
func hostDefaults() map[string]string {
	m := map[string]string{}
	for _, s := range topology.NodeDefaults(topology.KindHost) {
		m[s.Key] = s.Value
	}
	return m
}

// routerDefaults is what a forward: true host's namespace must hold:
// forwarding on for both families, "all" and "default", and (the
// kernel's doing, when ip_forward becomes 1) conf.all.accept_redirects
// off.
func routerDefaults() map[string]string {
	m := hostDefaults()
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.default.forwarding", "net.ipv6.conf.all.forwarding", "net.ipv6.conf.default.forwarding"} {
		m[k] = "1"
	}
	m["net.ipv4.conf.all.accept_redirects"] = "0"
	return m
}

// checkSysctls reads want's keys inside the node's namespace and
// reports each that differs.
func checkSysctls(t *testing.T, lab, nodeName string, want map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ns, err := node.Open(topology.Namespace(lab, nodeName))
	if err != nil {
		t.Fatal(err)
	}
	// Closed at once: down --wait at cleanup waits for every handle on
	// the lab's namespaces, this process's too.
	got, err := node.ReadSysctls(ns, keys)
	ns.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: %s = %s, want %s", nodeName, k, got[k], want[k])
		}
	}
}

// checkPlanEmpty fails the test unless the plan for l is empty.
func checkPlanEmpty(t *testing.T, l *topology.Lab, when string) {
	t.Helper()
	p, err := PlanFor(context.Background(), l, false)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		var steps []string
		for _, s := range p.Steps {
			steps = append(steps, s.String())
		}
		t.Errorf("%s: plan is not empty:\n%s", when, strings.Join(steps, "\n"))
	}
}
