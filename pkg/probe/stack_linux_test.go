package probe

import (
	"net/netip"
	"os/exec"
	"testing"
)

// The verdict is the node's own stack's: these are the cases where
// topo's own frames used to disagree with the host's ping.

func TestIntegrationOwnAddresses(t *testing.T) {
	l := pair(t)
	p := l.prober("a")
	for _, dst := range []string{"10.0.0.1", "127.0.0.1", "fd00::1", "::1"} {
		if r := p.Probe(ctxT(t), netip.MustParseAddr(dst)); !r.Reached {
			t.Errorf("a -> its own %s: %+v, want reached (the kernel's ping answers)", dst, r)
		}
	}
}

func TestIntegrationBogusNeighbour(t *testing.T) {
	l := pair(t)
	l.ip("a", "neigh", "replace", "10.0.0.2", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "permanent")
	r := l.prober("a").Probe(ctxT(t), netip.MustParseAddr("10.0.0.2"))
	wantReason(t, r, ReasonICMP)
	bmac := l.mac("b", "eth0")
	want := NeighborMismatch{Addr: netip.MustParseAddr("10.0.0.2"), Iface: "eth0", Table: "02:00:00:00:00:99", State: "permanent", Answered: bmac}
	if r.Neighbor == nil || *r.Neighbor != want {
		t.Fatalf("neighbour mismatch %+v, want %+v", r.Neighbor, want)
	}
	if r.Error != want.String() {
		t.Fatalf("error %q, want %q", r.Error, want.String())
	}
}

func TestIntegrationICMPErrorNamesItsSender(t *testing.T) {
	l := newTestLab(t)
	l.add("a", "r")
	l.link("a", "eth0", "r", "eth0")
	l.addr("a", "eth0", "10.1.0.1/24")
	l.addr("r", "eth0", "10.1.0.254/24")
	l.addr("a", "eth0", "fd01::1/64")
	l.addr("r", "eth0", "fd01::fe/64")
	l.ip("a", "route", "add", "default", "via", "10.1.0.254")
	l.ip("a", "-6", "route", "add", "default", "via", "fd01::fe")
	l.sysctl("r", "net.ipv4.ip_forward=1")
	l.sysctl("r", "net.ipv6.conf.all.forwarding=1")
	names := map[netip.Addr]string{netip.MustParseAddr("10.1.0.254"): "r", netip.MustParseAddr("fd01::fe"): "r"}
	p := NewProber(l.open("a"), ProberOptions{NameOf: func(a netip.Addr) string { return names[a] }})
	t.Cleanup(func() { p.Close() })
	for _, tc := range []struct{ dst, want string }{
		{"10.3.0.1", "r (10.1.0.254): destination net unreachable"},
		{"fd03::1", "r (fd01::fe): no route to destination"},
	} {
		r := p.Probe(ctxT(t), netip.MustParseAddr(tc.dst))
		wantReason(t, r, ReasonUnreachable)
		if r.ICMP == nil || r.ICMP.String() != tc.want || r.Error != tc.want {
			t.Errorf("a -> %s: icmp %+v, error %q; want %q", tc.dst, r.ICMP, r.Error, tc.want)
		}
	}
}

func TestIntegrationOwnFirewallRefuses(t *testing.T) {
	l := pair(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping: nft not installed (make test-deps)")
	}
	l.run("ip", "netns", "exec", l.ns("a"), "nft", "add table inet t; add chain inet t out { type filter hook output priority 0; }; add rule inet t out icmp type echo-request drop")
	r := l.prober("a").Probe(ctxT(t), netip.MustParseAddr("10.0.0.2"))
	wantReason(t, r, ReasonFiltered)
}
