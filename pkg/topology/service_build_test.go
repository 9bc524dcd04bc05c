package topology

import (
	"slices"
	"strings"
	"testing"
)

func TestParseServicesInvalid(t *testing.T) {
	for _, c := range []invalidCase{
		{desc: "unknown service field", src: y("hosts:", "  h1:", "    services:", "      web: {command: x, restrat: always}"), line: 4, col: 25, msg: `unknown field "restrat"`, hint: "restart"},
		{desc: "bad restart", src: y("hosts:", "  h1:", "    services:", "      web: {command: x, restart: sometimes}"), line: 4, col: 34, msg: `restart "sometimes" is not valid`, hint: "on-failure"},
		{desc: "no command", src: y("hosts:", "  h1:", "    services:", "      web: {restart: always}"), line: 4, col: 7, msg: "service web has no command"},
		{desc: "after unknown", src: y("hosts:", "  h1:", "    services:", "      db: {command: x}", "      web: {command: x, after: [dbb]}"), line: 5, col: 33, msg: `after "dbb", which the node does not have`, hint: `"db"`},
		{desc: "after itself", src: y("hosts:", "  h1:", "    services:", "      web: {command: x, after: [web]}"), line: 4, col: 33, msg: "is after itself"},
		{desc: "after cycle", src: y("hosts:", "  h1:", "    services:", "      a: {command: x, after: [b]}", "      b: {command: x, after: [a]}"), line: 4, col: 23, msg: "a -> b -> a"},
		{desc: "private relative", src: y("hosts:", "  h1: {private: [var/www]}"), line: 2, col: 18, msg: `private path "var/www" is not absolute`},
		{desc: "private root", src: y("hosts:", "  h1: {private: [/]}"), line: 2, col: 18, msg: "is the whole file system"},
		{desc: "private proc", src: y("hosts:", "  h1: {private: [/proc/net]}"), line: 2, col: 18, msg: "under /proc"},
		{desc: "private sys", src: y("hosts:", "  h1: {private: [/sys]}"), line: 2, col: 18, msg: "under /sys"},
		{desc: "private dev", src: y("hosts:", "  h1: {private: [/dev]}"), line: 2, col: 18, msg: "under /dev"},
		{desc: "private state dir", src: y("hosts:", "  h1: {private: [/run/topo/x]}"), line: 2, col: 18, msg: "state directory"},
		{desc: "private holds state dir", src: y("hosts:", "  h1: {private: [/run]}"), line: 2, col: 18, msg: "state directory"},
		{desc: "file outside private", src: y("hosts:", "  h1:", "    private: [/srv]", "    files:", "      /etc/motd: hi"), line: 5, col: 7, msg: "outside the node's private paths", hint: "add /etc (or the file itself) to private:"},
		{desc: "file not absolute", src: y("hosts:", "  h1:", "    files:", "      motd: hi"), line: 4, col: 7, msg: "not a clean absolute path"},
		{desc: "bgp without forward", src: y("hosts:", "  r1: {bgp: {asn: 65001}}"), line: 2, col: 8, msg: "bgp on a node that is not a router", hint: "forward: true"},
		{desc: "asn zero", src: y("hosts:", "  r1: {forward: true, bgp: {asn: 0}}"), line: 2, col: 34, msg: `bgp asn "0" is not from 1`},
		{desc: "asn too big", src: y("hosts:", "  r1: {forward: true, bgp: {asn: 4294967296}}"), line: 2, col: 34, msg: "is not from 1 to 4294967294"},
		{desc: "asn missing", src: y("hosts:", "  r1: {forward: true, bgp: {ibgp: true}}"), line: 2, col: 23, msg: "bgp has no asn"},
		{desc: "unknown bgp field", src: y("hosts:", "  r1: {forward: true, bgp: {asn: 1, asm: 2}}"), line: 2, col: 37, msg: `unknown field "asm"`},
		{desc: "advertise not a prefix", src: y("hosts:", "  r1: {forward: true, bgp: {asn: 1, advertise: [10.0.0.1/24]}}"), line: 2, col: 49, msg: "is not a network prefix"},
		{desc: "ospf area bad", src: y("routing: {ospf: {}}", "hosts:", "  r1: {forward: true}", "  r2: {forward: true}", "links:", "  - endpoints: [r1:eth0, r2:eth0]", "    ospf: {area: backbone}"), line: 7, col: 18, msg: `area "backbone" is not a number or a dotted quad`},
		{desc: "ospf on a link to a switch without routers", src: y("routing: {ospf: {}}", "hosts:", "  h1: {}", "switches:", "  sw: {}", "links:", "  - endpoints: [h1:eth0, sw]", "    ospf: {area: 0}"), line: 8, col: 5, msg: "ospf on link h1:eth0 <-> sw, which has no router on it"},
		{desc: "ospf link without routing", src: y("hosts:", "  r1: {forward: true}", "  r2: {forward: true}", "links:", "  - endpoints: [r1:eth0, r2:eth0]", "    ospf: {cost: 5}"), line: 6, col: 5, msg: "the lab runs no OSPF", hint: "routing: {ospf: {}}"},
		{desc: "ospf dead not longer than hello", src: y("routing: {ospf: {hello: 4, dead: 4}}"), line: 1, col: 34, msg: "dead (4) must be longer than hello (4)"},
		{desc: "ospf cost out of range", src: y("routing: {ospf: {}}", "hosts:", "  r1: {forward: true}", "  r2: {forward: true}", "links:", "  - endpoints: [r1:eth0, r2:eth0]", "    ospf: {cost: 0}"), line: 7, col: 18, msg: "link ospf cost must be a whole number from 1 to 65535"},
		{desc: "services on a switch", src: y("switches:", "  sw: {services: {a: x}}"), line: 2, col: 8, msg: `unknown field "services"`},
	} {
		t.Run(c.desc, c.run)
	}
}

func TestParseServices(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"routing: {ospf: {hello: 1, dead: 4}}",
		"hosts:",
		"  web1:",
		"    private: [/var/www, /run/nginx/]",
		"    files:",
		"      /var/www/index.html: \"hello\\n\"",
		"      /etc/resolv.conf: \"nameserver 10.0.0.53\\n\"",
		"    services:",
		"      web: {command: \"python3 -m http.server 80\", after: [db], env: {A: b}}",
		"      db: mydb --foreground",
		"  r1: {forward: true, bgp: {asn: 65001, advertise: [10.9.0.0/16]}}",
		"  r2: {forward: true, ospf: false, files: {/etc/frr/frr.conf: x}, bgp: {asn: 65002}}",
		"links:",
		"  - endpoints: [r1:eth0, r2:eth0]",
		"    ospf: {area: 0.0.0.1, cost: 10}",
	))
	w := lab.Node("web1")
	if !slices.Equal(w.Private, []string{"/run/nginx", "/var/www"}) {
		t.Errorf("private = %v", w.Private)
	}
	if w.Files["/var/www/index.html"] != "hello\n" || w.Files[ResolvConf] == "" {
		t.Errorf("files = %v", w.Files)
	}
	if len(w.Services) != 2 || w.Services[0].Name != "db" || w.Services[1].Name != "web" {
		t.Fatalf("services not in after order: %+v", w.Services)
	}
	if s := w.Services[1]; s.Restart != RestartOnFailure || s.Env["A"] != "b" || s.Command != "python3 -m http.server 80" {
		t.Errorf("web = %+v", s)
	}
	if lab.Routing == nil || lab.Routing.OSPF == nil || *lab.Routing.OSPF != (OSPFTimers{Hello: 1, Dead: 4}) {
		t.Errorf("routing = %+v", lab.Routing)
	}
	r1, r2 := lab.Node("r1"), lab.Node("r2")
	if r1.BGP == nil || r1.BGP.ASN != 65001 || len(r1.BGP.Advertise) != 1 || !lab.RunsOSPF(r1) {
		t.Errorf("r1 = %+v %+v", r1, r1.BGP)
	}
	if !r2.NoOSPF || lab.RunsOSPF(r2) || !lab.RunsFRR(r2) {
		t.Errorf("r2 ospf: false not honoured: %+v", r2)
	}
	if o := lab.Links[0].OSPF; o == nil || o.Area != "0.0.0.1" || o.Cost != 10 {
		t.Errorf("link ospf = %+v", o)
	}
}

func TestDiffServices(t *testing.T) {
	parse := func(svc string) *Lab {
		lab, _ := mustParse(t, "lab.yaml", y("hosts:", "  h1:", "    private: [/srv]", "    services:", "      a: {command: sleep 100}", svc))
		return lab
	}
	before := parse("      b: {command: sleep 200}")
	obs := &Observed{Nodes: map[string]*ObservedNode{"h1": {Name: "h1", LoopbackUp: true, Sysctls: defaultValues[KindHost]}}}
	ops := func(p *Plan) []string {
		var out []string
		for _, s := range p.Steps {
			out = append(out, string(s.Op)+" "+s.Key)
		}
		return out
	}
	fresh := Diff(before, Current{})
	if got := ops(fresh); !slices.Contains(got, "write-files ") || !slices.Contains(got, "start-service a") || !slices.Contains(got, "start-service b") {
		t.Errorf("fresh plan = %v", got)
	}
	if p := Diff(before, Current{Applied: before, Observed: obs}); !p.Empty() {
		t.Errorf("unchanged lab plans %v", ops(p))
	}
	after := parse("      b: {command: sleep 300}")
	if got := ops(Diff(after, Current{Applied: before, Observed: obs})); !slices.Equal(got, []string{"restart-service b"}) {
		t.Errorf("an edit of b plans %v, want only b restarted", got)
	}
	gone := parse("")
	if got := ops(Diff(gone, Current{Applied: before, Observed: obs})); !slices.Equal(got, []string{"stop-service b"}) {
		t.Errorf("removing b plans %v", got)
	}
	obs.Nodes["h1"].Name = "h1"
	dead := &Observed{Nodes: obs.Nodes, Services: map[string]map[string]bool{"h1": {"a": true}}}
	if got := ops(Diff(before, Current{Applied: before, Observed: dead})); !slices.Equal(got, []string{"start-service b"}) {
		t.Errorf("an unsupervised b plans %v", got)
	}
}

func TestParseDynamicAddresses(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"addressing: {ipv4: 10.9.0.0/16}",
		"hosts:",
		"  srv: {}",
		"  h1: {}",
		"switches:",
		"  sw: {}",
		"links:",
		"  - endpoints: [srv:eth0, sw]",
		"  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp, slaac]}, sw]",
	))
	var h1 Endpoint
	for _, l := range lab.Links {
		for _, e := range l.Ends {
			if e.Node == "h1" {
				h1 = e
			}
		}
	}
	if len(h1.Addresses) != 0 || !slices.Equal(h1.Dynamic, []string{"dhcp", "slaac"}) {
		t.Errorf("h1:eth0 = %+v: a dhcp end got addresses from the pool", h1)
	}
	if !lab.HasDynamic() {
		t.Errorf("HasDynamic is false")
	}
}

func TestParseDynamicInvalid(t *testing.T) {
	for _, c := range []invalidCase{
		{desc: "dhcp and an IPv4 address", src: y("hosts:", "  h1: {}", "  h2: {}", "links:", "  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp, 10.0.0.1/24]}, h2:eth0]"), line: 5, col: 63, msg: "its IPv4 addresses come from dhcp"},
		{desc: "dhcp6 and slaac", src: y("hosts:", "  h1: {}", "  h2: {}", "links:", "  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp6, slaac]}, h2:eth0]"), line: 5, col: 64, msg: "both dhcp6 and slaac"},
		{desc: "dhcp twice", src: y("hosts:", "  h1: {}", "  h2: {}", "links:", "  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp, dhcp]}, h2:eth0]"), line: 5, col: 63, msg: "dhcp is given twice"},
	} {
		t.Run(c.desc, c.run)
	}
}

// TestExpectToDynamicHost: an expectation may go to a host whose
// addresses come from its client; check probes what it holds.
func TestExpectToDynamicHost(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y("hosts:", "  h1: {}", "  h2: {}", "links:",
		"  - endpoints: [{node: h1, interface: eth0, addresses: [dhcp, slaac]}, {node: h2, interface: eth0, addresses: [10.0.0.1/24]}]",
		"expect:", "  - {from: h2, to: h1}"))
	if len(lab.Expect) != 1 || lab.Expect[0].To != "h1" {
		t.Errorf("expect = %+v", lab.Expect)
	}
}

func TestParseDNS(t *testing.T) {
	lab, _ := mustParse(t, "lab.yaml", y(
		"dns: [srv, 192.0.2.53]",
		"hosts:",
		"  srv: {}",
		"  h1: {}",
		"  h2: {files: {/etc/resolv.conf: \"nameserver 1.1.1.1\\n\"}}",
		"links:",
		"  - {endpoints: [srv:eth0, h1:eth0], addresses: [10.0.0.53/24, 10.0.0.1/24]}",
		"  - {endpoints: [srv:eth1, h2:eth0], addresses: [10.0.1.53/24, 10.0.1.1/24]}",
	))
	if got := lab.Node("h1").Files[ResolvConf]; got != "# written by topo from the lab's dns:\nnameserver 10.0.0.53\nnameserver 192.0.2.53\n" {
		t.Errorf("h1 resolv.conf = %q", got)
	}
	if got := lab.Node("h2").Files[ResolvConf]; got != "nameserver 1.1.1.1\n" {
		t.Errorf("h2's own resolv.conf was replaced: %q", got)
	}
	if !slices.Contains(lab.Node("h1").PrivatePaths(), ResolvConf) {
		t.Errorf("h1's resolv.conf is not private")
	}
	_, _, err := Parse("lab.yaml", []byte(y("dns: [nosuch]", "hosts:", "  h1: {}")))
	if err == nil || !strings.Contains(err.Error(), `lab.yaml:1:7: dns "nosuch": neither an IP address nor a host`) {
		t.Errorf("dns naming no host: %v", err)
	}
}

// TestBGPEveryProblemAtOnce: a bgp entry on a node that is not a
// router still has its asn checked, so one run shows both.
func TestBGPEveryProblemAtOnce(t *testing.T) {
	_, _, err := Parse("lab.yaml", []byte(y("hosts:", "  r1: {bgp: {asn: 99999999999}}")))
	if err == nil {
		t.Fatal("the file was accepted")
	}
	for _, want := range []string{"lab.yaml:2:8: host r1: bgp on a node that is not a router", `lab.yaml:2:19: host r1: bgp asn "99999999999" is not from 1`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestServiceCircleWithOtherProblems: a service with a problem of its
// own still counts in the circle check.
func TestServiceCircleWithOtherProblems(t *testing.T) {
	_, _, err := Parse("lab.yaml", []byte(y("hosts:", "  h1:", "    services:",
		`      web: {restart: sometimes, command: "x", after: [db]}`,
		`      db: {command: "y", after: [web]}`)))
	if err == nil {
		t.Fatal("the file was accepted")
	}
	for _, want := range []string{`restart "sometimes" is not valid`, "services wait for each other in a circle: web -> db -> web"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
