package topology

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// ifaces lists a node's interfaces as "name=addr,addr" in link order.
func ifaces(lab *Lab, node string) []string {
	var out []string
	for _, e := range lab.Interfaces(node) {
		s := e.Interface
		var as []string
		for _, a := range e.Addresses {
			as = append(as, a.String())
		}
		if len(as) > 0 {
			s += "=" + strings.Join(as, ",")
		}
		out = append(out, s)
	}
	return out
}

func routes(lab *Lab, node string) []string {
	var out []string
	for _, r := range lab.Node(node).Routes {
		out = append(out, r.String())
	}
	return out
}

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		desc string
		src  string
		// want maps a node to its interfaces, as ifaces renders them.
		want map[string][]string
		// routes maps a node to its routes, as Route.String renders them.
		routes map[string][]string
	}{
		{
			desc: "interface names in link order, explicit ones skipped",
			src: y("hosts: {h1: {}, h2: {}, h3: {}, h4: {}}", "links:",
				"  - endpoints: [h1, h2]",
				"  - endpoints: [h1:eth0, h3]",
				"  - endpoints: [h1, h4:eth7]",
				"  - endpoints: [h2:uplink, h4]"),
			want: map[string][]string{
				"h1": {"eth1", "eth0", "eth2"},
				"h2": {"eth0", "uplink"},
				"h4": {"eth7", "eth0"},
			},
		},
		{
			desc: "switch ports named after their peer",
			src: y("hosts: {h1: {}, h2: {}}", "switches: {s1: {}, s2: {stp: true}}", "links:",
				"  - endpoints: [h1, s1]",
				"  - endpoints: [s1, h2:lan]",
				"  - endpoints: [s1, s2]",
				"  - endpoints: [s2, s1]",
				"  - endpoints: [s1, s2]"),
			want: map[string][]string{
				"s1": {"h1-eth0", "h2-lan", "s2", "s2-2", "s2-3"},
				"s2": {"s1", "s1-2", "s1-3"},
			},
		},
		{
			desc: "long switch port names are hashed, stably",
			src: y("hosts: {host-with-long-name: {}}", "switches: {s1: {}}", "links:",
				"  - endpoints: [host-with-long-name, s1]"),
			want: map[string][]string{"s1": {hashedPort("s1", Endpoint{Node: "host-with-long-name", Interface: "eth0"}, 2)}},
		},
		{
			desc: "switch port after a peer switch named like the bridge",
			src:  y("switches: {s1: {}, br0: {}}", "links:", "  - endpoints: [s1, br0]"),
			want: map[string][]string{"s1": {"br0-2"}, "br0": {"s1"}},
		},
		{
			desc: "switch port after a peer switch named lo",
			src:  y("switches: {s1: {}, lo: {}}", "links:", "  - endpoints: [s1, lo]"),
			want: map[string][]string{"s1": {"lo-2"}, "lo": {"s1"}},
		},
		{
			desc: "switch ports after peer switches named all and default",
			src:  y("switches: {s1: {}, all: {}, default: {}}", "links:", "  - endpoints: [s1, all]", "  - endpoints: [default, s1]"),
			want: map[string][]string{"s1": {"all-2", "default-2"}, "all": {"s1"}, "default": {"s1"}},
		},
		{
			desc: "explicit addresses, one entry per endpoint, a list for two families",
			src: y("hosts: {h1: {}, r1: {forward: true}}", "links:",
				"  - endpoints: [h1:eth0, r1:eth0]",
				`    addresses: [[10.0.1.10/24, "fd00:1::10/64"], 10.0.1.1/24]`),
			want: map[string][]string{"h1": {"eth0=10.0.1.10/24,fd00:1::10/64"}, "r1": {"eth0=10.0.1.1/24"}},
		},
		{
			desc: "a switch end takes one entry for the host end",
			src: y("hosts: {h1: {}}", "switches: {s1: {}}", "links:",
				"  - endpoints: [s1, h1]",
				"    addresses: [10.0.1.10/24]"),
			want: map[string][]string{"h1": {"eth0=10.0.1.10/24"}, "s1": {"h1-eth0"}},
		},
		{
			desc: "link subnet: .1 and .2 in file order",
			src: y("hosts: {h1: {}, h2: {}}", "links:",
				"  - endpoints: [h2, h1]",
				"    subnet: 10.0.7.0/24"),
			want: map[string][]string{"h2": {"eth0=10.0.7.1/24"}, "h1": {"eth0=10.0.7.2/24"}},
		},
		{
			desc: "link subnet skips explicit addresses",
			src: y("hosts: {h1: {}, h2: {}}", "links:",
				"  - endpoints:",
				"      - h1",
				"      - {node: h2, addresses: [10.0.7.1/24]}",
				"    subnet: 10.0.7.0/24"),
			want: map[string][]string{"h1": {"eth0=10.0.7.2/24"}, "h2": {"eth0=10.0.7.1/24"}},
		},
		{
			desc: "IPv6 link subnet starts at ::1",
			src: y("hosts: {h1: {}, h2: {}}", "links:",
				"  - endpoints: [h1, h2]",
				`    subnet: ["10.0.7.0/31", "fd00:7::/64"]`),
			want: map[string][]string{"h1": {"eth0=10.0.7.0/31,fd00:7::1/64"}, "h2": {"eth0=10.0.7.1/31,fd00:7::2/64"}},
		},
		{
			desc: "switch subnet: one LAN across switches joined by links",
			src: y("hosts: {h1: {}, h2: {}, h3: {}, h4: {}}",
				"switches: {s1: {subnet: 10.0.5.0/24}, s2: {}, s3: {}}", "links:",
				"  - endpoints: [h1, s2]",
				"  - endpoints: [s1, s2]",
				"  - endpoints: [h2, s1]",
				"  - endpoints: [h3, s3]",
				"  - endpoints: [s3, s1]",
				"  - endpoints: [h4, h1]",
				"    addresses: [10.0.6.4/24, 10.0.6.1/24]"),
			want: map[string][]string{
				"h1": {"eth0=10.0.5.1/24", "eth1=10.0.6.1/24"},
				"h2": {"eth0=10.0.5.2/24"},
				"h3": {"eth0=10.0.5.3/24"},
			},
		},
		{
			desc: "hand-addressed LAN: the rest joins the subnet of the first address",
			src: y("addressing: {ipv4: 10.9.0.0/16}", "hosts: {h1: {}, h2: {}, h3: {}}", "switches: {s1: {}}", "links:",
				"  - endpoints: [h1, s1]",
				"  - endpoints: [{node: h2, addresses: [192.168.1.1/24]}, s1]",
				"  - endpoints: [h3, s1]"),
			want: map[string][]string{"h1": {"eth0=192.168.1.2/24"}, "h2": {"eth0=192.168.1.1/24"}, "h3": {"eth0=192.168.1.3/24"}},
		},
		{
			desc: "lab pool: a /24 and a /64 per link or LAN, in file order",
			src: y(`addressing: {ipv4: 10.0.0.0/16, ipv6: "fd00::/48"}`,
				"hosts: {h1: {}, h2: {}, h3: {}, h4: {}}", "switches: {s1: {}}", "links:",
				"  - endpoints: [h1, h2]",
				"  - endpoints: [h3, s1]",
				"  - endpoints: [h1, h3]",
				"  - endpoints: [h4, s1]"),
			want: map[string][]string{
				"h1": {"eth0=10.0.0.1/24,fd00::1/64", "eth1=10.0.2.1/24,fd00:0:0:2::1/64"},
				"h2": {"eth0=10.0.0.2/24,fd00::2/64"},
				"h3": {"eth0=10.0.1.1/24,fd00:0:0:1::1/64", "eth1=10.0.2.2/24,fd00:0:0:2::2/64"},
				"h4": {"eth0=10.0.1.2/24,fd00:0:0:1::2/64"},
			},
		},
		{
			desc: "lab pool: carving skips blocks of explicit subnets",
			src: y("addressing: {ipv4: 10.0.0.0/16}", "hosts: {h1: {}, h2: {}, h3: {}, h4: {}, h5: {}}", "links:",
				"  - endpoints: [h1, h2]",
				"  - endpoints: [h3, h4]",
				"    subnet: 10.0.1.0/24",
				"  - endpoints: [h4, h5]",
				"    addresses: [10.0.0.9/24, 10.0.0.10/24]",
				"  - endpoints: [h5, h1]"),
			want: map[string][]string{
				"h1": {"eth0=10.0.2.1/24", "eth1=10.0.3.2/24"},
				"h3": {"eth0=10.0.1.1/24"},
				"h5": {"eth0=10.0.0.10/24", "eth1=10.0.3.1/24"},
			},
		},
		{
			desc: "lab pool: carving skips an explicit subnet wider than a block",
			src: y("addressing: {ipv4: 10.0.0.0/16}", "hosts: {h1: {}, h2: {}, h3: {}, h4: {}}", "links:",
				"  - endpoints: [h1, h2]",
				"    addresses: [10.0.0.1/23, 10.0.0.2/23]",
				"  - endpoints: [h3, h4]"),
			want: map[string][]string{"h3": {"eth0=10.0.2.1/24"}},
		},
		{
			desc: "lab pool: no block for a LAN with no hosts",
			src: y("addressing: {ipv4: 10.0.0.0/24}", "hosts: {h1: {}, h2: {}}", "switches: {s1: {}, s2: {}}", "links:",
				"  - endpoints: [s1, s2]",
				"  - endpoints: [h1, h2]"),
			want: map[string][]string{"h1": {"eth0=10.0.0.1/24"}},
		},
		{
			desc: "lab pool smaller than a /24 is carved whole",
			src:  y("addressing: {ipv4: 10.0.0.0/30}", "hosts: {h1: {}, h2: {}}", "links:", "  - endpoints: [h1, h2]"),
			want: map[string][]string{"h1": {"eth0=10.0.0.1/30"}, "h2": {"eth0=10.0.0.2/30"}},
		},
		{
			desc: "gateway auto: default routes for IPv4 and IPv6 to the one router",
			src: y("gateway: auto", "hosts:", "  h1: {}", "  h2: {}", "  r1: {forward: true}",
				"switches: {s1: {subnet: [10.0.1.0/24, \"fd00:1::/64\"]}}", "links:",
				"  - endpoints: [r1, s1]",
				"  - endpoints: [h1, s1]",
				"  - endpoints: [h2, r1]",
				"    addresses: [10.0.2.2/24, 10.0.2.1/24]"),
			want: map[string][]string{"r1": {"eth0=10.0.1.1/24,fd00:1::1/64", "eth1=10.0.2.1/24"}},
			routes: map[string][]string{
				"h1": {"default via 10.0.1.1", "default via fd00:1::1"},
				"h2": {"default via 10.0.2.1"},
				"r1": nil,
			},
		},
		{
			desc: "gateway auto on one host keeps its own default route",
			src: y("hosts:",
				"  h1: {gateway: auto, routes: [{to: default, via: 10.0.1.2}, {to: 10.0.9.0/24, via: 10.0.1.2}]}",
				"  r1: {forward: true}", "  r2: {forward: true}",
				"links:",
				"  - endpoints: [h1, r1]",
				`    addresses: [[10.0.1.10/24, "fd00::10/64"], [10.0.1.1/24, "fd00::1/64"]]`,
				"  - endpoints: [h1, r2]",
				"    addresses: [10.0.3.10/24, 10.0.3.1/24]"),
			routes: map[string][]string{"h1": {"default via 10.0.1.2", "10.0.9.0/24 via 10.0.1.2", "default via fd00::1"}},
		},
	} {
		t.Run(c.desc, func(t *testing.T) {
			lab, _ := mustParse(t, "lab.yaml", c.src)
			for node, want := range c.want {
				if got := ifaces(lab, node); !slices.Equal(got, want) {
					t.Errorf("%s: interfaces %q, want %q", node, got, want)
				}
			}
			for node, want := range c.routes {
				if got := routes(lab, node); !slices.Equal(got, want) {
					t.Errorf("%s: routes %q, want %q", node, got, want)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	lab, warns := mustParse(t, "/labs/Lab-2.yaml", y(
		"hosts: {h1: {}, h2: {}}",
		"links:",
		"  - endpoints: [h1, h2]",
		"  - endpoints: [h1, h2]",
		"    mtu: 9000",
		"    state: down",
		"  - endpoints: [h1, h2]",
		"    state: up",
	))
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if lab.Name != "lab-2" {
		t.Errorf("lab name %q, want lab-2 (from the file name)", lab.Name)
	}
	if lab.File != "/labs/Lab-2.yaml" {
		t.Errorf("lab file %q", lab.File)
	}
	for i, want := range []struct {
		mtu  int
		down bool
		line int
	}{{1500, false, 3}, {9000, true, 4}, {1500, false, 7}} {
		l := lab.Links[i]
		if l.MTU != want.mtu || l.Down != want.down || l.Pos.Line != want.line {
			t.Errorf("link %d: mtu %d down %v line %d, want %+v", i, l.MTU, l.Down, l.Pos.Line, want)
		}
	}
	if lab.Node("h1").Pos.Line != 1 || lab.Node("h1").Kind != KindHost {
		t.Errorf("h1: %+v", lab.Node("h1"))
	}
	named, _ := mustParse(t, "x.yaml", y("name: lab1"))
	if named.Name != "lab1" {
		t.Errorf("name: lab1 gave %q", named.Name)
	}
}

func TestLongEndpointForm(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"hosts: {r1: {forward: true}, h2: {}}",
		"links:",
		"  - endpoints:",
		`      - {node: r1, interface: eth1, addresses: [10.0.2.1/24, "fd00:2::1/64"], mac: "02:00:00:00:02:01"}`,
		`      - {node: h2, interface: eth0, addresses: [10.0.2.10/24, "fd00:2::10/64"]}`,
	))
	l := lab.Links[0]
	if got := l.Ends[0].MAC.String(); got != "02:00:00:00:02:01" {
		t.Errorf("mac %q", got)
	}
	if l.Ends[1].MAC != nil {
		t.Errorf("h2 got a MAC: %v", l.Ends[1].MAC)
	}
	if got, want := ifaces(lab, "r1"), []string{"eth1=10.0.2.1/24,fd00:2::1/64"}; !slices.Equal(got, want) {
		t.Errorf("r1: %q, want %q", got, want)
	}
	if !lab.Node("r1").Forward || lab.Node("h2").Forward {
		t.Errorf("forward flags wrong")
	}
}

func TestHostSettings(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"hosts:",
		"  h1:",
		`    sysctls: {net.ipv4.icmp_echo_ignore_all: "1", net.ipv6.conf.all.disable_ipv6: 0}`,
		`    exec: ["ip addr show", "sleep 1"]`,
		"  h2: {exec: ip link}",
		"switches: {s1: {stp: true}}",
	))
	h1 := lab.Node("h1")
	if want := map[string]string{"net.ipv4.icmp_echo_ignore_all": "1", "net.ipv6.conf.all.disable_ipv6": "0"}; !reflect.DeepEqual(h1.Sysctls, want) {
		t.Errorf("sysctls %v", h1.Sysctls)
	}
	if want := []string{"ip addr show", "sleep 1"}; !slices.Equal(h1.Exec, want) {
		t.Errorf("exec %q", h1.Exec)
	}
	if want := []string{"ip link"}; !slices.Equal(lab.Node("h2").Exec, want) {
		t.Errorf("h2 exec %q", lab.Node("h2").Exec)
	}
	if s := lab.Node("s1"); s.Kind != KindSwitch || !s.STP {
		t.Errorf("s1: %+v", s)
	}
}

func TestExpectations(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"hosts: {h1: {}, h2: {}, h3: {}}",
		"expect:",
		"  - {from: h1, to: h2}",
		"  - {from: h1, to: 10.0.9.9, reach: false}",
		"  - {from: h1, to: h3, ttl: 63}",
		`  - {from: h2, to: "fd00::1", reach: yes}`,
		"links:",
		"  - endpoints: [h1:eth0, h2:eth0]",
		"    addresses: [10.0.0.1/24, 10.0.0.2/24]",
		"  - endpoints: [h1:eth1, h3:eth0]",
		"    addresses: [10.0.1.1/24, 10.0.1.3/24]",
	))
	want := []Expectation{
		{From: "h1", To: "h2", Reach: true, Points: 1, Pos: Pos{File: "lab.yaml", Line: 3, Col: 5}},
		{From: "h1", To: "10.0.9.9", Reach: false, Points: 1, Pos: Pos{File: "lab.yaml", Line: 4, Col: 5}},
		{From: "h1", To: "h3", Reach: true, TTL: 63, Points: 1, Pos: Pos{File: "lab.yaml", Line: 5, Col: 5}},
		{From: "h2", To: "fd00::1", Reach: true, Points: 1, Pos: Pos{File: "lab.yaml", Line: 6, Col: 5}},
	}
	if len(lab.Expect) != len(want) {
		t.Fatalf("%d expectations, want %d", len(lab.Expect), len(want))
	}
	for i, e := range lab.Expect {
		if !reflect.DeepEqual(*e, want[i]) {
			t.Errorf("expectation %d: %+v, want %+v", i, *e, want[i])
		}
	}
}

func TestSwitchLoopWarning(t *testing.T) {
	loop := func(stp string) string {
		return y("switches:",
			"  s1: {stp: "+stp+"}",
			"  s2: {stp: "+stp+"}",
			"  s3: {stp: "+stp+"}",
			"  s4: {}",
			"links:",
			"  - endpoints: [s1, s2]",
			"  - endpoints: [s2, s3]",
			"  - endpoints: [s3, s1]", // line 9 closes the loop
			"  - endpoints: [s4, s1]",
		)
	}
	lab, warns, err := Parse("lab.yaml", []byte(loop("false")))
	if err != nil || lab == nil {
		t.Fatalf("a loop must only warn: %v", err)
	}
	if len(warns) != 1 {
		t.Fatalf("want one warning, got %d:\n%v", len(warns), warns)
	}
	w := warns[0]
	if !w.Warning || w.Pos.Line != 9 || !strings.Contains(w.Msg, "form a loop without spanning tree") || !strings.Contains(w.Hint, "stp: true on s1, s2, s3") {
		t.Errorf("warning: %s", w)
	}
	if _, warns, _ := Parse("lab.yaml", []byte(loop("true"))); len(warns) != 0 {
		t.Errorf("loop with stp on every switch still warns: %v", warns)
	}
	// Two loops joined by a switch: one warning, naming the switches on
	// the loops and not the one hanging off them.
	_, warns, _ = Parse("lab.yaml", []byte(y("switches: {s1: {}, s2: {}, s3: {}, s4: {}, s5: {}}", "links:",
		"  - endpoints: [s1, s2]",
		"  - endpoints: [s1, s2]", // line 4: first loop
		"  - endpoints: [s4, s3]",
		"  - endpoints: [s3, s4]", // line 6: second loop
		"  - endpoints: [s2, s3]", // joins them
		"  - endpoints: [s5, s3]",
	)))
	if len(warns) != 1 || warns[0].Pos.Line != 4 || !strings.Contains(warns[0].Msg, "switches s1, s2, s3, s4 form") {
		t.Errorf("two loops: %v", warns)
	}
	// Two parallel links are a loop too.
	_, warns, _ = Parse("lab.yaml", []byte(y("switches: {s1: {}, s2: {}}", "links:", "  - endpoints: [s1, s2]", "  - endpoints: [s2, s1]")))
	if len(warns) != 1 || warns[0].Pos.Line != 4 {
		t.Errorf("parallel links: %v", warns)
	}
	// A tree is no loop.
	_, warns, _ = Parse("lab.yaml", []byte(y("switches: {s1: {}, s2: {}, s3: {}}", "links:", "  - endpoints: [s1, s2]", "  - endpoints: [s1, s3]")))
	if len(warns) != 0 {
		t.Errorf("tree warns: %v", warns)
	}
}

func TestMaxBridgePortsAccepted(t *testing.T) {
	if _, _, err := Parse("lab.yaml", []byte(bigSwitch(MaxBridgePorts))); err != nil {
		t.Fatalf("a switch with %d ports: %v", MaxBridgePorts, err)
	}
}

// TestDeterministic parses each lab twice and wants identical results:
// re-running `topo up` must never rename or renumber anything.
func TestDeterministic(t *testing.T) {
	src := y(
		`addressing: {ipv4: 10.0.0.0/16, ipv6: "fd00::/48"}`,
		"hosts: {h1: {gateway: auto}, h2: {gateway: auto}, h3: {}, h4: {}, r1: {forward: true}, host-with-long-name: {}}",
		"switches: {s1: {}, s2: {}, s3: {}, s4: {}}",
		"links:",
		"  - endpoints: [h1, s1]",
		"  - endpoints: [s1, s2]",
		"  - endpoints: [s2, s3]",
		"  - endpoints: [s3, s1]",
		"  - endpoints: [s4, s3]",
		"  - endpoints: [s3, s4]",
		"  - endpoints: [h2, s2]",
		"  - endpoints: [r1, s3]",
		"  - endpoints: [r1, h3]",
		"  - endpoints: [h3, h4]",
		"    subnet: 10.0.0.0/24",
		"  - endpoints: [host-with-long-name, s4]",
	)
	render := func() string {
		lab, warns, err := Parse("lab.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(struct {
			Lab   *Lab
			Warns Problems
		}{lab, warns})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first := render()
	for range 20 {
		if again := render(); again != first {
			t.Fatalf("second parse differs:\n%s\n%s", first, again)
		}
	}
}

func TestMergeKeys(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"hosts:",
		"  r1: &router {forward: true, exec: [a]}",
		"  r2: {<<: *router, exec: [b]}",
		"  h1: {<<: [{exec: [c]}, *router], forward: false}",
		"  <<: {h2: {}, r1: {}}",
	))
	var names []string
	for _, n := range lab.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"r1", "r2", "h1", "h2"}; !slices.Equal(names, want) {
		t.Errorf("nodes %q, want %q", names, want)
	}
	for _, want := range []struct {
		name    string
		forward bool
		exec    string
	}{{"r1", true, "a"}, {"r2", true, "b"}, {"h1", false, "c"}} {
		n := lab.Node(want.name)
		if n.Forward != want.forward || !slices.Equal(n.Exec, []string{want.exec}) {
			t.Errorf("%s: forward %v exec %q, want %+v", n.Name, n.Forward, n.Exec, want)
		}
	}
	invalidCase{desc: "unknown field in a merged mapping", src: y("hosts:", "  h1: {<<: [{forward: true}, {fowrard: false}]}"), line: 2, col: 31, msg: `unknown field "fowrard"`}.run(t)
}
