package main

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// The lab of TestSites, split over two machines: hosts on both, a
// switch on m1 with a host (h2) and a router (r1) on m2, the router's
// other LANs inside m2 (h3) and back on m1 (h4).
//
//	m1: h1 ─ s1 ═══ h2, r1 :m2        r1 ─ h3     (m2)
//	                         r1 ═══ h4  (m1)
const sitesBody = `hosts:
  h1: {site: m1, routes: [{to: default, via: 10.0.1.254}]}
  h4: {site: m1, routes: [{to: default, via: 10.0.3.254}]}
  h2: {site: m2, routes: [{to: default, via: 10.0.1.254}]}
  h3: {site: m2, routes: [{to: default, via: 10.0.2.254}]}
  r1: {site: m2, forward: true}
switches:
  s1: {site: m1}
links:
  - endpoints: [h1:eth0, s1]
    addresses: [10.0.1.1/24]
  - endpoints: [h2:eth0, s1]
    addresses: [10.0.1.2/24]
  - endpoints: [r1:eth0, s1]
    addresses: [10.0.1.254/24]
  - endpoints: [r1:eth1, h3:eth0]
    addresses: [10.0.2.254/24, 10.0.2.3/24]
  - endpoints: [r1:eth2, h4:eth0]
    addresses: [10.0.3.254/24, 10.0.3.4/24]
`

// ping pings addr from a node's namespace once; size is the payload
// (0: the default), df forbids fragmenting.
func ping(ns, addr string, size int, df bool) bool {
	args := []string{"netns", "exec", ns, "ping", "-c1", "-W2", "-q"}
	if size > 0 {
		args = append(args, "-s", itoa(size))
	}
	if df {
		args = append(args, "-M", "do")
	}
	return runOK("ip", append(args, addr)...)
}

// checkAll runs topo check (every host of the site to every address of
// the lab) on each machine.
func checkAll(t *testing.T, ms ...*e2e.Machine) {
	t.Helper()
	for _, m := range ms {
		r := m.Topo("check")
		if r.Code != 0 {
			t.Fatalf("site %s: %v", m.Site, r)
		}
	}
}

// TestSites: a lab split across two simulated machines joined by VXLAN
// reaches end to end, fits the underlay's MTU, follows topo link, is
// taken down and rebuilt one site at a time, converges after a killed
// up, and takes in a third site with an edit.
func TestSites(t *testing.T) {
	l := newLab(t, "sites", "")
	u := e2e.NewUnderlay(l.Lab, 1500)
	m1, m2 := u.Machine("m1", "192.0.2.1"), u.Machine("m2", "192.0.2.2")
	l.Write(e2e.Sites(m1, m2) + sitesBody)
	m1.Up()
	m2.Up()
	h1, h4, h2 := l.NS("h1"), l.NS("h4"), l.NS("h2")

	// Born in the node: the tunnel's socket is in the machine's
	// namespace (link-netns), and no VXLAN interface is in the
	// machine's own namespace or in the root namespace.
	if out := e2e.Sh(t, "ip", "-d", "-n", h4, "link", "show", "eth0"); !strings.Contains(out, "vxlan id") || !strings.Contains(out, "link-netns "+m1.NS) || !strings.Contains(out, "mtu 1450") {
		t.Errorf("h4:eth0 is not a VXLAN interface with its socket in %s, mtu 1450:\n%s", m1.NS, out)
	}
	for _, ns := range []string{m1.NS, m2.NS, ""} {
		args := []string{"-d", "link", "show", "type", "vxlan"}
		if ns != "" {
			args = append([]string{"-n", ns}, args...)
		}
		if out := e2e.Sh(t, "ip", args...); strings.Contains(out, "vxlan id") {
			t.Errorf("a VXLAN interface in namespace %q:\n%s", ns, out)
		}
	}
	checkAll(t, m1, m2)

	// The other sites' nodes resolve by name (the lab's hosts file,
	// topo ping), but are entered only on their own machine.
	m1.Must("exec", "h1", "--", "ping", "-c1", "-W2", "h3")
	m1.Must("ping", "h4", "h3")
	if r := m1.Topo("exec", "h2", "--", "true"); r.Code == 0 || !strings.Contains(r.Stderr, "node h2 of lab "+l.Name+" is on site m2") {
		t.Errorf("topo exec h2 on m1: %v", r)
	}

	// The inner MTU: 1450 less 28 bytes of IPv4 and ICMP headers
	// crosses unfragmented; one byte more does not leave h4.
	if !ping(h4, "10.0.3.254", 1422, true) {
		t.Errorf("DF ping of 1422 bytes from h4 to r1 over the tunnel failed")
	}
	if ping(h4, "10.0.3.254", 1423, true) {
		t.Errorf("DF ping of 1423 bytes from h4 to r1 passed: more than the inner MTU")
	}
	// Through the switch: h1's port is a veth, which takes the
	// tunnel's MTU, so that the LAN has one.
	if !ping(h1, "10.0.1.2", 1422, true) {
		t.Errorf("DF ping of 1422 bytes from h1 to h2 through s1's tunnel failed")
	}
	if ping(h1, "10.0.1.2", 1423, true) {
		t.Errorf("DF ping of 1423 bytes from h1 through s1 passed: h1:eth0 is larger than s1's tunnels")
	}

	// topo link on a link between sites takes the tunnel down.
	m1.Must("link", "h4:eth0", "down")
	if ping(h4, "10.0.3.254", 0, false) {
		t.Errorf("h4 reaches r1 with the tunnel down")
	}
	m1.Must("link", "h4:eth0", "up")
	if !ping(h4, "10.0.3.254", 0, false) {
		t.Errorf("h4 does not reach r1 with the tunnel up again")
	}

	// down --site m2 leaves m1's part intact.
	m2.Must("down", "--site", "m2")
	if r := m1.Must("status", "--json"); !strings.Contains(r.Stdout, `"state": "up"`) {
		t.Errorf("m1's part after m2 went down:\n%s", r.Stdout)
	}
	if ping(h1, "10.0.1.2", 0, false) {
		t.Errorf("h1 reaches h2 with m2 down")
	}
	if r := m1.Topo("status", "--site", "m2"); r.Code == 0 || !strings.Contains(r.Stderr, "site m1's part, not site m2's") {
		t.Errorf("status --site m2 on m1: %v", r)
	}
	m2.Up()
	checkAll(t, m1, m2)

	// SIGKILL of m2's up, once it has begun: the next up converges.
	m2.Must("down")
	p := m2.Start("up", l.File, "--site", "m2")
	e2e.Eventually(func() bool { return len(e2e.NamespacesWithPrefix(h2)) > 0 })
	p.Cmd.Process.Signal(syscall.SIGKILL)
	p.Wait()
	m2.Up()
	if r := m2.Must("up", l.File, "--site", "m2"); !strings.Contains(r.Stdout, "nothing to change") {
		t.Errorf("a second up changed something:\n%s", r.Stdout)
	}
	checkAll(t, m1, m2)

	// A third site joins with an edit: h5 on m3, on s1's LAN.
	m3 := u.Machine("m3", "192.0.2.3")
	l.Write(e2e.Sites(m1, m2, m3) + strings.Replace(sitesBody, "switches:", "  h5: {site: m3, routes: [{to: default, via: 10.0.1.254}]}\nswitches:", 1) +
		"  - endpoints: [h5:eth0, s1]\n    addresses: [10.0.1.5/24]\n")
	m1.Up()
	m2.Up()
	m3.Up()
	checkAll(t, m1, m2, m3)
	if !ping(l.NS("h3"), "10.0.1.5", 0, false) {
		t.Errorf("h3 (m2) does not reach h5 (m3) through r1 and s1 (m1)")
	}
}

func runOK(name string, args ...string) bool { return exec.Command(name, args...).Run() == nil }

func itoa(n int) string { return strconv.Itoa(n) }
