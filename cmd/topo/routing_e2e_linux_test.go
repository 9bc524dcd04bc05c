package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var ttlRE = regexp.MustCompile(`ttl=(\d+)`)

// pingTTL pings once from a node and returns the reply's TTL, or 0
// when no reply came within 0.3 s.
func pingTTL(l *labT, from, to string) int { return pingTTLWithin(l, from, to, "0.3") }

// pingTTLWithin is pingTTL with the reply awaited up to wait seconds
// (the first packet to a new next hop waits for ARP at each hop).
func pingTTLWithin(l *labT, from, to, wait string) int {
	r := l.Topo("exec", "--lab", l.Name, from, "--", "ping", "-c1", "-W"+wait, to)
	if m := ttlRE.FindStringSubmatch(r.Stdout); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// waitTTL waits until a ping from one node to an address comes back
// with ttl, within limit; it returns how long that took.
func waitTTL(t *testing.T, l *labT, from, to string, ttl int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := 0
	for time.Since(start) < limit {
		if last = pingTTL(l, from, to); last == ttl {
			return time.Since(start)
		}
	}
	for _, n := range []string{"r1", "r2", "r3", "r4"} {
		t.Logf("%s:\n%s", n, l.Topo("exec", "--lab", l.Name, n, "--", "ip", "route").Stdout)
		t.Logf("%s:\n%s", n, l.Topo("exec", "--lab", l.Name, n, "--", "vtysh", "-c", "show ip ospf neighbor").Stdout)
	}
	t.Fatalf("%s -> %s: ttl %d, not %d, after %s", from, to, last, ttl, limit)
	return 0
}

// ospfRing brings up examples/ospf-ring.yaml as a lab of its own: four
// routers in a ring, a host on each, OSPF with a hello of 1 s and a
// dead interval of 4 s.
func ospfRing(t *testing.T, tag string) *labT {
	l := newLab(t, tag, "")
	l.File = l.WriteRenamed("../../examples/ospf-ring.yaml")
	return l
}

// TestOSPFRingConvergesAndReroutes: examples/ospf-ring.yaml converges,
// every pair reaches, and a ring link down reroutes as its comment says.
func TestOSPFRingConvergesAndReroutes(t *testing.T) {
	l := ospfRing(t, "ospf")
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "routing converged in") {
		t.Errorf("up did not say routing converged:\n%s", r.Stdout)
	}
	if r := l.Topo("check", l.Name, "--all"); r.Code != 0 {
		t.Fatalf("not every pair reaches after convergence: %v", r)
	}
	if out := l.Must("exec", "--lab", l.Name, "r1", "--", "vtysh", "-c", "show running-config").Stdout; !strings.Contains(out, "ip ospf dead-interval 4") {
		t.Errorf("r1's running config lacks the lab's timers:\n%s", out)
	}
	// h1 -> h2 goes r1, r2 (ttl 62); with r1-r2 down, r1, r4, r3, r2
	// (ttl 60), within the dead interval and 2 s of taking the link
	// down (topo link's own wait for convergence counts).
	waitTTL(t, l, "h1", "10.2.0.10", 62, 5*time.Second)
	down := time.Now()
	l.Must("link", "--lab", l.Name, "r1:eth1", "down")
	waitTTL(t, l, "h1", "10.2.0.10", 60, 6*time.Second)
	if took := time.Since(down); took > 6*time.Second {
		t.Errorf("h1 -> h2 rerouted %s after the link went down, more than the dead interval and 2 s", took)
	} else {
		t.Logf("rerouted in %s", took)
	}
	l.Must("link", "--lab", l.Name, "r1:eth1", "up")
	waitTTL(t, l, "h1", "10.2.0.10", 62, 15*time.Second)
}

// TestLinkWaitsForRouting: topo link returns once OSPF has converged
// around the change, so the very next probe takes the new path: with
// r1-r2 down, h1 -> h2 goes r1, r4, r3, r2 (ttl 60) and every host
// reaches every other; up again, the short way (ttl 62). --no-wait does not wait.
func TestLinkWaitsForRouting(t *testing.T) {
	l := ospfRing(t, "lwait")
	l.Must("up", l.File)
	convergedRE := regexp.MustCompile(`(?m)^routing converged in \d+\.\ds$`)
	for _, step := range []struct {
		state string
		ttl   int
	}{{"down", 60}, {"up", 62}, {"down", 60}, {"up", 62}} {
		r := l.Must("link", "--lab", l.Name, "r1:eth1", step.state)
		if !convergedRE.MatchString(r.Stdout) {
			t.Errorf("link %s did not say routing converged:\n%s", step.state, r.Stdout)
		}
		if got := pingTTLWithin(l, "h1", "10.2.0.10", "2"); got != step.ttl {
			t.Errorf("right after link %s: h1 -> h2 ttl %d, want %d\n%s", step.state, got, step.ttl, r.Stdout)
		}
		for _, from := range []string{"h1", "h2", "h3", "h4"} {
			for i, to := range []string{"10.1.0.10", "10.2.0.10", "10.3.0.10", "10.4.0.10"} {
				if from != "h"+strconv.Itoa(i+1) && pingTTLWithin(l, from, to, "2") == 0 {
					t.Errorf("right after link %s: %s does not reach %s", step.state, from, to)
				}
			}
		}
	}
	r := l.Must("link", "--lab", l.Name, "r1:eth1", "down", "--no-wait")
	if strings.Contains(r.Stdout, "routing converged") {
		t.Errorf("link --no-wait waited:\n%s", r.Stdout)
	}
}

// TestBGPLineConvergesWithASPath: examples/bgp.yaml, three ASes in a
// line, converges; r1 reaches r3's hosts over AS path 65002 65003, and
// the file's expectations hold.
func TestBGPLineConvergesWithASPath(t *testing.T) {
	l := newLab(t, "bgp", "")
	l.File = l.WriteRenamed("../../examples/bgp.yaml")
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "routing converged in") {
		t.Errorf("up did not say routing converged:\n%s", r.Stdout)
	}
	// Sessions are up; the routes follow within a few update rounds.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := l.Must("exec", "--lab", l.Name, "r1", "--", "vtysh", "-c", "show bgp ipv4 unicast 10.3.0.0/24 json").Stdout
		var v struct {
			Paths []struct {
				ASPath struct {
					String string `json:"string"`
				} `json:"aspath"`
			} `json:"paths"`
		}
		json.Unmarshal([]byte(out), &v)
		if len(v.Paths) > 0 {
			if got := v.Paths[0].ASPath.String; got != "65002 65003" {
				t.Fatalf("r1's route to 10.3.0.0/24 has AS path %q, want 65002 65003", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("r1 has no BGP route to 10.3.0.0/24:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		r := l.Topo("check", l.Name)
		if r.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check: %v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDHCPExampleLeasesAndChecks(t *testing.T) {
	l := newLab(t, "dhcp", "")
	l.File = l.WriteRenamed("../../examples/dhcp.yaml")
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "addresses leased in") {
		t.Errorf("up did not wait for the leases:\n%s", r.Stdout)
	}
	addr := ifaces(t, l.NS("h1"))["eth0"].addrs()
	if len(addr) != 1 || !strings.HasPrefix(addr[0], "10.5.0.1") {
		t.Fatalf("h1:eth0 holds %v, not a lease from 10.5.0.100-199", addr)
	}
	// srv -> h1 goes to the address h1 holds.
	r = l.Topo("check", l.Name)
	if lease, _, _ := strings.Cut(addr[0], "/"); r.Code != 0 || !strings.Contains(r.Stdout, "srv must reach h1 ("+lease+"): reached") {
		t.Fatalf("check did not probe h1 at its lease %s: %v", lease, r)
	}
	// So does topo ping by the host's name.
	if lease, _, _ := strings.Cut(addr[0], "/"); !strings.Contains(l.Must("ping", "--lab", l.Name, "srv", "h1", "-c1").Stdout, lease) {
		t.Errorf("topo ping srv h1 did not ping h1's lease %s", lease)
	}
	// The client wrote h1's own resolv.conf, not the machine's.
	if got := l.Must("exec", "--lab", l.Name, "h1", "--", "cat", "/etc/resolv.conf").Stdout; !strings.Contains(got, "nameserver 10.5.0.1") {
		t.Errorf("h1's resolv.conf:\n%s", got)
	}
	if host, _ := os.ReadFile("/etc/resolv.conf"); strings.Contains(string(host), "10.5.0.1") {
		t.Errorf("the machine's resolv.conf names the lab's server:\n%s", host)
	}
	// status shows the lease, marked as one.
	if st := l.Must("status", l.Name).Stdout; !strings.Contains(st, addr[0]+"(leased)") {
		t.Errorf("status does not show h1's lease %s:\n%s", addr[0], st)
	}
	// A leased address is the client's: never drift.
	if steps := l.Plan(); len(steps) != 0 {
		t.Errorf("plan after the leases: %q", steps)
	}
}

// TestCheckToHostWithoutLease: with no DHCP server on the LAN, check
// does not probe a host that holds no address; it says which end has
// none and where to look.
func TestCheckToHostWithoutLease(t *testing.T) {
	l := newLab(t, "nolease", `
hosts:
  srv: {}
  h1: {}
switches:
  lan: {}
links:
  - {endpoints: [srv:eth0, lan], addresses: [10.5.0.1/24]}
  - endpoints: [{node: h1, interface: eth0, addresses: dhcp}, lan]
expect:
  - {from: srv, to: h1}
`)
	l.Must("up", "--no-wait", l.File)
	r := l.Topo("check", l.Name)
	if r.Code == 0 || !strings.Contains(r.Stderr, "h1:eth0 has no DHCP lease yet (is a DHCP server on the link running? see topo logs h1/dhcp-eth0)") {
		t.Fatalf("check on a host without a lease: %v", r)
	}
	// topo ping says the same of the host by name.
	r = l.Topo("ping", "--lab", l.Name, "srv", "h1", "-c1")
	if r.Code == 0 || !strings.Contains(r.Stderr, "h1:eth0 holds no leased address yet: is the DHCP server running? see topo logs h1/dhcp-eth0") {
		t.Fatalf("ping to a host without a lease: %v", r)
	}
}
