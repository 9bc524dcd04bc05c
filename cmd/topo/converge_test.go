package main

import (
	"testing"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/routing"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestAddressesCame: up names how the addresses came, SLAAC being no
// lease.
func TestAddressesCame(t *testing.T) {
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"dhcp"}, "addresses leased"},
		{[]string{"dhcp6"}, "addresses leased"},
		{[]string{"slaac"}, "addresses made from router advertisements"},
		{[]string{"dhcp", "slaac"}, "addresses leased and made from router advertisements"},
	} {
		l := &topology.Lab{Links: []*topology.Link{{Ends: [2]topology.Endpoint{{Node: "h1", Interface: "eth0", Dynamic: c.words}, {Node: "r1", Interface: "eth0"}}}}}
		if got := addressesCame(l); got != c.want {
			t.Errorf("%v: %q, want %q", c.words, got, c.want)
		}
	}
}

// TestLogHint: a timeout names the log of the daemon that keeps the
// first stuck session (bgpd for BGP, not always ospfd), a router's
// logs for a missing route, and none for a lease, whose line names it.
func TestLogHint(t *testing.T) {
	stuck := func(proto, router string) lab.Stuck {
		return lab.Stuck{Session: routing.Session{Router: router, Proto: proto}}
	}
	for _, c := range []struct {
		stuck []lab.Stuck
		want  string
	}{
		{[]lab.Stuck{stuck("ospf", "r2")}, "; `topo logs r2/ospfd` shows its log"},
		{[]lab.Stuck{stuck("ospf6", "r1")}, "; `topo logs r1/ospf6d` shows its log"},
		{[]lab.Stuck{stuck("route", "r1"), stuck("bgp", "r3")}, "; `topo logs r3/bgpd` shows its log"},
		{[]lab.Stuck{stuck("route", "r1")}, "; `topo logs r1` shows its daemons' logs"},
		{[]lab.Stuck{stuck("lease", "h1")}, ""},
	} {
		if got := logHint(c.stuck); got != c.want {
			t.Errorf("%v: %q, want %q", c.stuck, got, c.want)
		}
	}
}
