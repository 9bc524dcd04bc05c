package routing

import (
	"fmt"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func parse(t *testing.T, src string) *topology.Lab {
	t.Helper()
	lab, _, err := topology.Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

const line = `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  r1: {forward: true, bgp: {asn: 65001}}
  r2: {forward: true, bgp: {asn: 65002}}
  r3: {forward: true, ospf: false}
  h1: {gateway: auto}
switches:
  sw: {}
links:
  - {endpoints: [r1:eth1, r2:eth1], addresses: [10.0.12.1/30, 10.0.12.2/30], ospf: {area: 0.0.0.1, cost: 7}}
  - {endpoints: [h1:eth0, r1:eth0], addresses: [10.1.0.10/24, 10.1.0.1/24]}
  - {endpoints: [r2:eth2, sw], addresses: [10.2.0.1/24]}
  - {endpoints: [r3:eth0, sw], addresses: [10.2.0.3/24]}
`

func TestExpandConfigs(t *testing.T) {
	l := Expand(parse(t, line))
	r1 := l.Node("r1")
	for _, want := range []string{"/etc/frr", "/var/run/frr"} {
		if !contains(r1.Private, want) {
			t.Errorf("r1 private = %v, lacks %s", r1.Private, want)
		}
	}
	var names []string
	for _, s := range r1.Services {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != "zebra ospfd bgpd" {
		t.Errorf("r1 services = %v", names)
	}
	ospf := r1.Files["/etc/frr/ospfd.conf"]
	for _, want := range []string{
		"interface eth1\n ip ospf area 0.0.0.1\n ip ospf cost 7\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n",
		"interface eth0\n ip ospf area 0.0.0.0\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n ip ospf passive\n",
		"ospf router-id 10.0.12.1",
	} {
		if !strings.Contains(ospf, want) {
			t.Errorf("r1 ospfd.conf lacks %q:\n%s", want, ospf)
		}
	}
	bgp := r1.Files["/etc/frr/bgpd.conf"]
	for _, want := range []string{"router bgp 65001", "neighbor 10.0.12.2 remote-as 65002", "network 10.1.0.0/24"} {
		if !strings.Contains(bgp, want) {
			t.Errorf("r1 bgpd.conf lacks %q:\n%s", want, bgp)
		}
	}
	if strings.Contains(bgp, "network 10.0.12.0/30") {
		t.Errorf("r1 advertises its router link:\n%s", bgp)
	}
	// r3 is out of OSPF and has no BGP: no FRR at all.
	if r3 := l.Node("r3"); len(r3.Services) != 0 || len(r3.Private) != 0 {
		t.Errorf("r3 runs FRR: %+v", r3)
	}
	// r2's switch port has r3, a router, but one outside OSPF: passive.
	if o := l.Node("r2").Files["/etc/frr/ospfd.conf"]; !strings.Contains(o, "interface eth2\n ip ospf area 0.0.0.0\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n ip ospf passive\n") {
		t.Errorf("r2 ospfd.conf:\n%s", o)
	}
}

// TestSessions: r1 and r2 are of different ASes, so the link between
// them carries their eBGP session and no OSPF adjacency (the IGP stays
// inside an AS; the link is passive, its subnet a stub).
func TestSessions(t *testing.T) {
	got := Sessions(parse(t, line))
	var s []string
	for _, x := range got {
		s = append(s, x.String())
	}
	want := []string{
		"r1 bgp eth1 -> r2 (10.0.12.2)",
		"r2 bgp eth1 -> r1 (10.0.12.1)",
	}
	if strings.Join(s, "|") != strings.Join(want, "|") {
		t.Errorf("sessions:\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}

func TestEditedConfigRestartsItsDaemon(t *testing.T) {
	a := Expand(parse(t, line)).Node("r1")
	b := Expand(parse(t, strings.Replace(line, "cost: 7", "cost: 8", 1))).Node("r1")
	if !a.Service("zebra").Equal(b.Service("zebra")) || !a.Service("bgpd").Equal(b.Service("bgpd")) {
		t.Errorf("a cost change restarts zebra or bgpd")
	}
	if a.Service("ospfd").Equal(b.Service("ospfd")) {
		t.Errorf("a cost change does not restart ospfd")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDownLinkCarriesNoSession: a ring with one link down (topo link,
// or state: down) expects no adjacency over it and no route to its
// subnet, while the rest of the ring still reaches every other subnet.
func TestDownLinkCarriesNoSession(t *testing.T) {
	l := parse(t, `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  r1: {forward: true}
  r2: {forward: true}
  r3: {forward: true}
links:
  - {endpoints: [r1:eth1, r2:eth1], addresses: [10.0.12.1/30, 10.0.12.2/30], state: down}
  - {endpoints: [r2:eth2, r3:eth1], addresses: [10.0.23.1/30, 10.0.23.2/30]}
  - {endpoints: [r3:eth2, r1:eth2], addresses: [10.0.31.1/30, 10.0.31.2/30]}
`)
	for _, s := range Sessions(l) {
		if s.Iface == "eth1" && (s.Router == "r1" || s.Router == "r2" && s.Peer == "r1") {
			t.Errorf("a session over the down link: %s", s)
		}
	}
	if n := len(Sessions(l)); n != 4 {
		t.Errorf("%d sessions, want 4 (r2-r3 and r3-r1, both ways)", n)
	}
	routes := Routes(l)
	for r, ps := range routes {
		for _, p := range ps {
			if p.String() == "10.0.12.0/30" {
				t.Errorf("%s expects a route to the down link's subnet", r)
			}
		}
	}
	if got := fmt.Sprint(routes["r1"]); got != "[10.0.23.0/30]" {
		t.Errorf("r1 expects %s, want [10.0.23.0/30] (round the ring)", got)
	}
}

// TestIPv6OnlyRouterIDs: routers without an IPv4 address get router-ids
// of their own, none 0.0.0.0 (FRR makes none up without IPv4, and
// every router at 0.0.0.0 is a duplicate: no OSPFv3 adjacency forms),
// and the sessions topo waits for expect the peers at those ids. They
// run OSPFv3 alone: OSPFv2 would have nothing to carry.
func TestIPv6OnlyRouterIDs(t *testing.T) {
	l := parse(t, `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  r1: {forward: true}
  r2: {forward: true}
  r3: {forward: true}
  r4: {forward: true, bgp: {asn: 65004, router_id: 10.255.0.4}}
links:
  - {endpoints: [r1:eth1, r2:eth1], addresses: ["fd00:12::1/64", "fd00:12::2/64"]}
  - {endpoints: [r2:eth2, r3:eth1], addresses: ["fd00:23::1/64", "fd00:23::2/64"]}
  - {endpoints: [r3:eth2, r4:eth1], addresses: ["fd00:34::1/64", "fd00:34::2/64"]}
`)
	x := Expand(l)
	ids := map[string]string{}
	for _, r := range []string{"r1", "r2", "r3"} {
		conf := x.Node(r).Files["/etc/frr/ospf6d.conf"]
		i := strings.Index(conf, "ospf6 router-id ")
		if i < 0 {
			t.Fatalf("%s ospf6d.conf has no router-id:\n%s", r, conf)
		}
		id := strings.Fields(conf[i+len("ospf6 router-id "):])[0]
		if id == "0.0.0.0" {
			t.Errorf("%s has router-id 0.0.0.0", r)
		}
		if other, dup := ids[id]; dup {
			t.Errorf("%s and %s share router-id %s", other, r, id)
		}
		ids[id] = r
	}
	if conf := x.Node("r4").Files["/etc/frr/ospf6d.conf"]; !strings.Contains(conf, "ospf6 router-id 10.255.0.4") {
		t.Errorf("r4's router_id is not its OSPFv3 router-id:\n%s", conf)
	}
	for _, r := range []string{"r1", "r2", "r3", "r4"} {
		n := x.Node(r)
		if _, ok := n.Files["/etc/frr/ospfd.conf"]; ok {
			t.Errorf("%s, IPv6 only, has an ospfd.conf", r)
		}
		for _, s := range n.Services {
			if s.Name == "ospfd" {
				t.Errorf("%s, IPv6 only, runs ospfd", r)
			}
		}
	}
	for _, s := range Sessions(l) {
		if s.Proto == "ospf6" && ids[s.PeerID.String()] != s.Peer && s.Peer != "r4" {
			t.Errorf("%s expects %s at router-id %s, which is %q's", s.Router, s.Peer, s.PeerID, ids[s.PeerID.String()])
		}
	}
}

// TestOSPF6HasNoHoldDown: OSPFv3, like OSPFv2, runs SPF at once and
// accepts LSAs as they come (ospf6d's defaults hold an LSA 1 s and
// delay SPF: an IPv6-only line of three routers took 6.5 s to converge
// instead of 1.5 s).
func TestOSPF6HasNoHoldDown(t *testing.T) {
	l := Expand(parse(t, `
routing: {ospf: {hello: 1, dead: 4}}
hosts:
  r1: {forward: true}
  r2: {forward: true}
links:
  - {endpoints: [r1:eth1, r2:eth1], addresses: ["fd00:12::1/64", "fd00:12::2/64"]}
`))
	conf := l.Node("r1").Files["/etc/frr/ospf6d.conf"]
	for _, want := range []string{"router ospf6\n", " timers throttle spf 0 50 500\n", " timers lsa min-arrival 0\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("r1 ospf6d.conf lacks %q:\n%s", want, conf)
		}
	}
}
