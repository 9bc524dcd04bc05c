package main

import (
	"strings"
	"testing"
)

// dualLine is a dual-stack line: AS 65001 (r1) and AS 65002 (r2, r3:
// OSPF and OSPFv3 inside, an iBGP mesh), a host at each end.
const dualLine = `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  r1: {forward: true, bgp: {asn: 65001}}
  r2: {forward: true, bgp: {asn: 65002, ibgp: true}}
  r3: {forward: true, bgp: {asn: 65002, ibgp: true}}
  h1: {gateway: auto}
  h3: {gateway: auto}
links:
  - {endpoints: [h1:eth0, r1:eth0], addresses: [[10.1.0.10/24, "fd00:1::10/64"], [10.1.0.1/24, "fd00:1::1/64"]]}
  - {endpoints: [r1:eth1, r2:eth1], addresses: [[10.0.12.1/30, "fd00:12::1/64"], [10.0.12.2/30, "fd00:12::2/64"]]}
  - {endpoints: [r2:eth2, r3:eth1], addresses: [[10.0.23.1/30, "fd00:23::1/64"], [10.0.23.2/30, "fd00:23::2/64"]]}
  - {endpoints: [r3:eth0, h3:eth0], addresses: [[10.3.0.1/24, "fd00:3::1/64"], [10.3.0.10/24, "fd00:3::10/64"]]}
expect:
  - {from: h1, to: 10.3.0.10, ttl: 61}
  - {from: h1, to: "fd00:3::10", ttl: 61}
  - {from: h3, to: "fd00:1::10", ttl: 61}
`

// TestDualStackRoutingConverges: up waits for OSPFv3 and the IPv6
// sessions and routes as for IPv4, so both families reach end to end
// as soon as it returns, with the AS path of each. Then r3's OSPFv3
// gets a hello interval r2 does not share: up must time out naming
// that adjacency, though IPv4 is whole.
func TestDualStackRoutingConverges(t *testing.T) {
	l := newLab(t, "dual", dualLine)
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "routing converged in") {
		t.Errorf("up did not say routing converged:\n%s", r.Stdout)
	}
	if r := l.Topo("check", l.Name); r.Code != 0 {
		t.Fatalf("check right after up: %v", r)
	}
	for _, c := range []struct{ router, family, prefix, want string }{
		{"r1", "ipv4", "10.3.0.0/24", "65002"},
		{"r1", "ipv6", "fd00:3::/64", "65002"},
		{"r3", "ipv6", "fd00:1::/64", "65001"},
	} {
		if got := bgpPath(t, l, c.router, c.family, c.prefix); got != c.want {
			t.Errorf("%s's best route to %s has AS path %q, want %q", c.router, c.prefix, got, c.want)
		}
	}
	if out := l.Must("exec", "--lab", l.Name, "r2", "--", "vtysh", "-c", "show ipv6 ospf6 neighbor").Stdout; !strings.Contains(out, "Full") {
		t.Errorf("r2 has no Full OSPFv3 neighbour:\n%s", out)
	}
	l.Write(strings.Replace(dualLine, "r3: {forward: true, bgp: {asn: 65002, ibgp: true}}",
		`r3: {forward: true, bgp: {asn: 65002, ibgp: true}, files: {/etc/frr/ospf6d.conf: "interface eth1\n ipv6 ospf6 area 0.0.0.0\n ipv6 ospf6 hello-interval 3\n!\nrouter ospf6\n ospf6 router-id 10.0.23.2\n!\n"}}`, 1))
	r = l.Topo("up", "--wait", "6s", l.File)
	if r.Code == 0 || !strings.Contains(r.Stderr, "r3 ospf6 eth1 -> r2 (fd00:23::1): ") {
		t.Errorf("up with OSPFv3 broken on r3 did not name the adjacency:\n%v", r)
	}
}
