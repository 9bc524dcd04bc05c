package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// asLine is AS 65002 of three routers in a line, OSPF inside and a
// full iBGP mesh, between AS 65001 and AS 65003 of one router each;
// only the edges of AS 65002 speak eBGP. r2's router_id is on no
// interface: it is r2's loopback, where r1 and r3 peer with it.
const asLine = `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  a:  {forward: true, bgp: {asn: 65001}}
  r1: {forward: true, bgp: {asn: 65002, ibgp: true}}
  r2: {forward: true, bgp: {asn: 65002, ibgp: true, router_id: 10.255.0.2}}
  r3: {forward: true, bgp: {asn: 65002, ibgp: true}}
  b:  {forward: true, bgp: {asn: 65003}}
  h1: {gateway: auto}
  h3: {gateway: auto}
links:
  - {endpoints: [h1:eth0, a:eth0], addresses: [10.1.0.10/24, 10.1.0.1/24]}
  - {endpoints: [a:eth1, r1:eth1], addresses: [10.0.1.1/30, 10.0.1.2/30]}
  - {endpoints: [r1:eth2, r2:eth1], addresses: [10.0.12.1/30, 10.0.12.2/30]}
  - {endpoints: [r2:eth2, r3:eth1], addresses: [10.0.23.1/30, 10.0.23.2/30]}
  - {endpoints: [r3:eth2, b:eth1], addresses: [10.0.3.1/30, 10.0.3.2/30]}
  - {endpoints: [b:eth0, h3:eth0], addresses: [10.3.0.1/24, 10.3.0.10/24]}
expect:
  - {from: h1, to: h3, ttl: 59}
  - {from: h3, to: h1, ttl: 59}
`

// bgpPath is the AS path of a router's best BGP route to a prefix, ""
// when it has none.
func bgpPath(t *testing.T, l *labT, router, family, prefix string) string {
	t.Helper()
	out := l.Must("exec", "--lab", l.Name, router, "--", "vtysh", "-c", "show bgp "+family+" unicast "+prefix+" json").Stdout
	var v struct {
		Paths []struct {
			ASPath struct {
				String string `json:"string"`
			} `json:"aspath"`
			BestPath *struct{} `json:"bestpath"`
		} `json:"paths"`
	}
	json.Unmarshal([]byte(out), &v)
	for _, p := range v.Paths {
		if p.BestPath != nil {
			return p.ASPath.String
		}
	}
	return ""
}

// TestIBGPMeshPassesTransit: AS 65002's middle router speaks no eBGP,
// yet the far hosts reach each other through it, because the iBGP mesh
// gives every router of the AS the routes its edges learn; up waits
// for those sessions and routes, so check passes at once.
func TestIBGPMeshPassesTransit(t *testing.T) {
	l := newLab(t, "ibgp", asLine)
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "routing converged in") {
		t.Errorf("up did not say routing converged:\n%s", r.Stdout)
	}
	for _, c := range []struct{ router, prefix, want string }{
		{"a", "10.3.0.0/24", "65002 65003"},
		{"b", "10.1.0.0/24", "65002 65001"},
		{"r2", "10.1.0.0/24", "65001"},
		{"r3", "10.1.0.0/24", "65001"},
	} {
		if got := bgpPath(t, l, c.router, "ipv4", c.prefix); got != c.want {
			t.Errorf("%s's best route to %s has AS path %q, want %q", c.router, c.prefix, got, c.want)
		}
	}
	if out := l.Must("exec", "--lab", l.Name, "r1", "--", "vtysh", "-c", "show bgp ipv4 unicast summary").Stdout; !strings.Contains(out, "10.255.0.2 ") {
		t.Errorf("r1 does not peer with r2's loopback:\n%s", out)
	}
	if r := l.Topo("check", l.Name); r.Code != 0 {
		t.Fatalf("check right after up: %v", r)
	}
}
