package routing

import (
	"fmt"
	"strings"
	"testing"
)

// asLine is AS 65002 of three routers in a line (OSPF inside, an iBGP
// mesh) between AS 65001 and AS 65003, a host behind each end.
const asLine = `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  a:  {forward: true, bgp: {asn: 65001}}
  r1: {forward: true, bgp: {asn: 65002, ibgp: true}}
  r2: {forward: true, bgp: {asn: 65002, ibgp: true}}
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
`

func TestIBGPMeshOverIGP(t *testing.T) {
	l := Expand(parse(t, asLine))
	r1 := l.Node("r1").Files["/etc/frr/bgpd.conf"]
	for _, want := range []string{
		// eBGP on the border link; iBGP with r2 and r3 on their first
		// addresses, from r1's own, with r1 as the next hop.
		" neighbor 10.0.1.1 remote-as 65001\n",
		" neighbor 10.0.12.2 remote-as 65002\n neighbor 10.0.12.2 timers connect 1\n neighbor 10.0.12.2 update-source 10.0.1.2\n",
		" neighbor 10.0.23.2 remote-as 65002\n neighbor 10.0.23.2 timers connect 1\n neighbor 10.0.23.2 update-source 10.0.1.2\n",
		"  neighbor 10.0.23.2 activate\n  neighbor 10.0.23.2 next-hop-self\n",
	} {
		if !strings.Contains(r1, want) {
			t.Errorf("r1 bgpd.conf lacks %q:\n%s", want, r1)
		}
	}
	if strings.Contains(r1, "neighbor 10.0.1.1 next-hop-self") {
		t.Errorf("r1 sets next-hop-self towards its eBGP peer:\n%s", r1)
	}
	// The border is passive in OSPF: a takes no part in AS 65002's IGP.
	if o := l.Node("r1").Files["/etc/frr/ospfd.conf"]; !strings.Contains(o, "interface eth1\n ip ospf area 0.0.0.0\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n ip ospf passive\n") {
		t.Errorf("r1's border interface is not passive:\n%s", o)
	}
	var got []string
	for _, s := range Sessions(parse(t, asLine)) {
		if s.Router == "r1" || s.Router == "a" {
			got = append(got, s.String())
		}
	}
	want := []string{
		"a bgp eth1 -> r1 (10.0.1.2)",
		"r1 ospf eth2 -> r2 (10.0.12.2)",
		"r1 bgp eth1 -> a (10.0.1.1)",
		"r1 bgp -> r2 (10.0.12.2) over the IGP",
		"r1 bgp -> r3 (10.0.23.2) over the IGP",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sessions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	routes := Routes(parse(t, asLine))
	for r, want := range map[string]string{
		"a":  "[10.3.0.0/24]",
		"r2": "[10.0.1.0/30 10.0.3.0/30 10.1.0.0/24 10.3.0.0/24]",
		"b":  "[10.1.0.0/24]",
	} {
		if got := fmt.Sprint(routes[r]); got != want {
			t.Errorf("%s expects routes %s, want %s", r, got, want)
		}
	}
}

// TestIBGPMeshNeedsIGP: iBGP peers that share no link and no OSPF are
// configured but not waited for: nothing joins them.
func TestIBGPMeshNeedsIGP(t *testing.T) {
	l := parse(t, strings.Replace(asLine, "routing: {ospf: {hello: 1, dead: 4}}", "", 1))
	for _, s := range Sessions(l) {
		if s.Router == "r1" && s.Peer == "r3" {
			t.Errorf("a session r1 -> r3 expected with no IGP: %s", s)
		}
	}
	if c := Expand(l).Node("r1").Files["/etc/frr/bgpd.conf"]; !strings.Contains(c, "neighbor 10.0.23.2 remote-as 65002") {
		t.Errorf("r1 has no session with r3 configured:\n%s", c)
	}
}

// TestDualStackSessions: a dual-stack link between OSPF routers has an
// OSPFv3 adjacency (named by the peer's router-id) beside the OSPFv2
// one; BGP has a session per family; IPv6 routes are expected too.
func TestDualStackSessions(t *testing.T) {
	l := parse(t, `
routing: {ospf: {}}
hosts:
  r1: {forward: true, bgp: {asn: 65001}}
  r2: {forward: true, bgp: {asn: 65002, ibgp: true}}
  r3: {forward: true, bgp: {asn: 65002, ibgp: true}}
  h3: {gateway: auto}
links:
  - {endpoints: [r1:eth1, r2:eth1], addresses: [[10.0.12.1/30, "fd00:12::1/64"], [10.0.12.2/30, "fd00:12::2/64"]]}
  - {endpoints: [r2:eth2, r3:eth1], addresses: [[10.0.23.1/30, "fd00:23::1/64"], [10.0.23.2/30, "fd00:23::2/64"]]}
  - {endpoints: [r3:eth0, h3:eth0], addresses: [[10.3.0.1/24, "fd00:3::1/64"], [10.3.0.10/24, "fd00:3::10/64"]]}
`)
	var got []string
	for _, s := range Sessions(l) {
		if s.Router == "r2" {
			got = append(got, s.String()+" id "+s.PeerID.String())
		}
	}
	want := []string{
		"r2 ospf eth2 -> r3 (10.0.23.2) id invalid IP",
		"r2 ospf6 eth2 -> r3 (fd00:23::2) id 10.0.23.2",
		"r2 bgp eth1 -> r1 (10.0.12.1) id invalid IP",
		"r2 bgp eth1 -> r1 (fd00:12::1) id invalid IP",
		"r2 bgp -> r3 (10.0.23.2) over the IGP id invalid IP",
		"r2 bgp -> r3 (fd00:23::2) over the IGP id invalid IP",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sessions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := fmt.Sprint(Routes(l)["r1"]); got != "[10.3.0.0/24 fd00:3::/64]" {
		t.Errorf("r1 expects %s", got)
	}
	c := Expand(l).Node("r1").Files["/etc/frr/bgpd.conf"]
	if !strings.Contains(c, " address-family ipv6 unicast\n  neighbor fd00:12::2 activate\n exit-address-family\n") {
		t.Errorf("r1's IPv6 session is not active in ipv6 unicast:\n%s", c)
	}
}

// TestIBGPLoopback: a router_id no interface holds becomes a loopback
// address: zebra puts it on lo, OSPF announces it, the iBGP mesh peers
// there.
func TestIBGPLoopback(t *testing.T) {
	src := strings.Replace(asLine, "r2: {forward: true, bgp: {asn: 65002, ibgp: true}}", "r2: {forward: true, bgp: {asn: 65002, ibgp: true, router_id: 10.255.0.2}}", 1)
	l := Expand(parse(t, src))
	r2 := l.Node("r2")
	for file, want := range map[string]string{
		"zebra.conf": "interface lo\n ip address 10.255.0.2/32\n",
		"ospfd.conf": "interface lo\n ip ospf area 0.0.0.0\n ip ospf passive\n",
		"bgpd.conf":  " neighbor 10.0.1.2 update-source 10.255.0.2\n",
	} {
		if got := r2.Files["/etc/frr/"+file]; !strings.Contains(got, want) {
			t.Errorf("r2 %s lacks %q:\n%s", file, want, got)
		}
	}
	if got := l.Node("r1").Files["/etc/frr/bgpd.conf"]; !strings.Contains(got, " neighbor 10.255.0.2 remote-as 65002\n") {
		t.Errorf("r1 does not peer with r2's loopback:\n%s", got)
	}
	if got := l.Node("r1").Files["/etc/frr/zebra.conf"]; strings.Contains(got, "interface lo") {
		t.Errorf("r1 has no router_id, yet a loopback:\n%s", got)
	}
	lab := parse(t, src)
	found := false
	for _, s := range Sessions(lab) {
		found = found || s.String() == "r3 bgp -> r2 (10.255.0.2) over the IGP"
	}
	if !found {
		t.Errorf("no session r3 -> r2's loopback expected: %v", Sessions(lab))
	}
	if got := fmt.Sprint(Routes(lab)["r3"]); !strings.Contains(got, "10.255.0.2/32") {
		t.Errorf("r3 does not expect a route to r2's loopback: %s", got)
	}
}

// TestIBGPPassesNoIBGPRoute: without an IGP, r1 and r3 have no session
// (only r2 links to both): what r1 learns from a over eBGP reaches r2
// but goes no further, so r3 is not waited for to learn it.
func TestIBGPPassesNoIBGPRoute(t *testing.T) {
	l := parse(t, strings.Replace(asLine, "routing: {ospf: {hello: 1, dead: 4}}", "", 1))
	routes := Routes(l)
	if got := fmt.Sprint(routes["r2"]); got != "[10.1.0.0/24 10.3.0.0/24]" {
		t.Errorf("r2 expects %s, want both ends' subnets (from r1 and r3)", got)
	}
	if got := fmt.Sprint(routes["r3"]); got != "[10.3.0.0/24]" {
		t.Errorf("r3 expects %s, want only b's subnet: r2 passes no iBGP route to an iBGP peer", got)
	}
}
