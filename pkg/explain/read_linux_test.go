package explain

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/topo-lab/topo/pkg/node"
)

var nsSeq atomic.Int32

// testNS makes a namespace of the test's own, deleted on cleanup.
func testNS(t *testing.T) *node.Namespace {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to create a network namespace")
	}
	name := fmt.Sprintf("tx%dx%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	ns, err := node.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Close)
	return ns
}

func run(t *testing.T, ns *node.Namespace, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func TestReadNode(t *testing.T) {
	ns := testNS(t)
	run(t, ns, "ip", "link", "set", "lo", "up")
	run(t, ns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	run(t, ns, "ip", "link", "set", "eth0", "up")
	run(t, ns, "ip", "addr", "add", "10.0.0.1/24", "dev", "eth0")
	run(t, ns, "ip", "route", "add", "10.9.0.0/16", "via", "10.0.0.254")
	run(t, ns, "ip", "neigh", "replace", "10.0.0.2", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "permanent")
	run(t, ns, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
	n, err := Read(ns, "h1", false)
	if err != nil {
		t.Fatal(err)
	}
	eth0 := n.Ifaces["eth0"]
	if eth0 == nil || !eth0.Up || eth0.Carrier || len(eth0.Addrs) != 1 || eth0.Addrs[0].String() != "10.0.0.1/24" {
		t.Fatalf("eth0 = %+v, want up without carrier (its peer is down), 10.0.0.1/24", eth0)
	}
	if !n.EchoIgnore4 || n.EchoIgnore6 || n.Forward4 {
		t.Fatalf("sysctls: %+v", n)
	}
	if nb := n.neighbor(mustAddr("10.0.0.2"), "eth0"); nb == nil || nb.MAC != "02:00:00:00:00:99" || nb.State != "permanent" {
		t.Fatalf("neighbour = %+v", nb)
	}
	if r, ok := n.lookup(mustAddr("10.9.1.1")); !ok || r.Gw != mustAddr("10.0.0.254") || r.Dev != "eth0" {
		t.Fatalf("lookup 10.9.1.1 = %+v, %v", r, ok)
	}
	if len(n.Firewall) != 0 {
		t.Fatalf("firewall %+v in a new namespace", n.Firewall)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping the firewall: nft not installed (make test-deps)")
	}
	run(t, ns, "nft", "add table inet f; add chain inet f cfwd { type filter hook forward priority 0; policy drop; }; add chain inet f cin { type filter hook input priority 0; }; add rule inet f cin icmp type echo-request drop; add rule inet f cin counter; add rule inet f cin tcp dport 22 reject; add chain inet f plain")
	n, err = Read(ns, "h1", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Chain{{Family: "inet", Table: "f", Name: "cfwd", Hook: "forward", PolicyDrop: true}, {Family: "inet", Table: "f", Name: "cin", Hook: "input", Drops: 2}}
	if fmt.Sprint(n.Firewall) != fmt.Sprint(want) {
		t.Fatalf("firewall %+v, want %+v", n.Firewall, want)
	}
}
