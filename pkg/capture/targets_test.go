package capture

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

const targetsLab = `name: t
switches:
  s1: {}
hosts:
  h1: {}
  h2: {}
  r1: {forward: true}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.0.1.10/24, 10.0.1.1/24]
  - endpoints: [r1:eth1, s1]
    addresses: [10.0.2.1/24]
  - endpoints: [h2:eth0, s1]
    addresses: [10.0.2.10/24]
`

func loadLab(t *testing.T, body string) *topology.Lab {
	t.Helper()
	l, _, err := topology.Parse("lab.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestResolve(t *testing.T) {
	l := loadLab(t, targetsLab)
	tests := []struct {
		targets []string
		all     bool
		want    string
	}{
		{[]string{"h1"}, false, "h1:*"},
		{[]string{"h1:eth0"}, false, "h1:eth0"},
		{[]string{"r1:eth1", "r1:eth0", "r1:eth1"}, false, "r1:eth0,eth1"},
		{[]string{"r1:eth0", "r1"}, false, "r1:*"},
		{[]string{"s1"}, false, "s1:*(switch)"},
		{[]string{"link:h1:eth0"}, false, "h1:eth0 r1:eth0"},
		{[]string{"link:s1:h2-eth0"}, false, "s1:h2-eth0(switch) h2:eth0"},
		{[]string{"link:h2:eth0"}, false, "h2:eth0 s1:h2-eth0(switch)"},
		{[]string{"h2:lo"}, false, "h2:lo"},
		{[]string{"h2:tun0"}, false, "h2:tun0"}, // made by hand: the kernel has it
		{nil, true, "h1:* h2:* r1:*"},
		{[]string{"s1"}, true, "h1:* h2:* r1:* s1:*(switch)"},
	}
	exists := func(node, iface string) bool { return node == "h2" && iface == "tun0" }
	for _, tc := range tests {
		sel, err := Resolve(l, tc.targets, tc.all, exists)
		if err != nil {
			t.Errorf("%v: %v", tc.targets, err)
			continue
		}
		var parts []string
		for _, s := range sel {
			p := s.Node + ":" + strings.Join(s.Ifaces, ",")
			if s.All {
				p = s.Node + ":*"
			}
			if s.Switch {
				p += "(switch)"
			}
			parts = append(parts, p)
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("%v all=%v: %s, want %s", tc.targets, tc.all, got, tc.want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	l := loadLab(t, targetsLab)
	_, err := Resolve(l, []string{"h9", "h1:eth7", "h1:", "link:h1:eth3", "h1"}, false, nil)
	want := `lab t has no node "h9" (nodes: h1, h2, r1, s1)
node h1 has no interface "eth7" (interfaces: eth0)
"h1:" names no interface: write NODE:IFACE, e.g. h1:eth0
lab t has no link with end h1:eth3 (write link:NODE:IFACE with an interface ` + "`topo status`" + ` shows)`
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}
}

func TestSelectionWants(t *testing.T) {
	sw := Selection{Node: "s1", Switch: true, All: true}
	host := Selection{Node: "h1", All: true}
	one := Selection{Node: "h1", Ifaces: []string{"eth1"}}
	for _, tc := range []struct {
		s     Selection
		iface string
		want  bool
	}{
		{sw, "h1-eth0", true}, {sw, "br0", false}, {sw, "lo", false},
		{host, "eth0", true}, {host, "br0", true}, {host, "lo", false},
		{one, "eth1", true}, {one, "eth0", false},
	} {
		if got := tc.s.Wants(tc.iface); got != tc.want {
			t.Errorf("%+v wants %s: %v, want %v", tc.s, tc.iface, got, tc.want)
		}
	}
}

func TestLabHosts(t *testing.T) {
	hosts := LabHosts(loadLab(t, targetsLab))
	addrs, ok := hosts("r1")
	if want := []netip.Addr{netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.2.1")}; !ok || fmt.Sprint(addrs) != fmt.Sprint(want) {
		t.Errorf("r1: %v %v, want %v", addrs, ok, want)
	}
	if _, ok := hosts("nobody"); ok {
		t.Error("a node that is not in the lab resolved")
	}
}

// TestResolveSitePart: in a site's part, a link to another site is its
// local end (the far one is another machine's).
func TestResolveSitePart(t *testing.T) {
	whole := loadLab(t, `name: t
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
hosts:
  h1: {site: m1}
  h2: {site: m2}
links:
  - endpoints: [h1:eth0, h2:eth0]
`)
	l, err := whole.ForSite("m1")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"link:h1:eth0", "link:h2:eth0"} {
		sel, err := Resolve(l, []string{target}, false, nil)
		if err != nil || len(sel) != 1 || sel[0].Node != "h1" || strings.Join(sel[0].Ifaces, ",") != "eth0" {
			t.Errorf("%s: %+v, %v; want h1:eth0 alone", target, sel, err)
		}
	}
}
