package topology

import (
	"net/netip"
	"strings"
	"testing"
)

// sites2 is a lab on sites m1 and m2: h1 and s1 on m1, h2 on m2
// (lines 1-12). Cases append links and replace lines.
var sites2 = []string{
	"name: two",                   // 1
	"sites:",                      // 2
	"  m1: {underlay: 192.0.2.1}", // 3
	"  m2: {underlay: 192.0.2.2}", // 4
	"hosts:",                      // 5
	"  h1: {site: m1}",            // 6
	"  h2: {site: m2}",            // 7
	"  h3: {site: m2}",            // 8
	"switches:",                   // 9
	"  s1: {site: m1}",            // 10
	"  s2: {site: m2}",            // 11
	"links:",                      // 12
}

func withSites(lines ...string) string {
	return y(append(append([]string(nil), sites2...), lines...)...)
}

func TestSitesInvalid(t *testing.T) {
	base := withSites("  - endpoints: [h1:eth0, h2:eth0]")
	for _, c := range []invalidCase{
		{desc: "unknown site", src: sub(base, "h2: {site: m2}", "h2: {site: m3}"), line: 7, col: 14, msg: `unknown site "m3"`, hint: "m1"},
		{desc: "misspelt site", src: sub(base, "h2: {site: m2}", "h2: {site: M2}"), line: 7, col: 14, msg: `unknown site "M2"`, hint: `"m2"`},
		{desc: "node without site", src: sub(base, "h3: {site: m2}", "h3: {}"), line: 8, col: 3, msg: "host h3 has no site:", hint: "default_site"},
		{desc: "switch without site", src: sub(base, "s1: {site: m1}", "s1: {}"), line: 10, col: 3, msg: "switch s1 has no site:"},
		{desc: "unknown default site", src: "default_site: m9\n" + base, line: 1, col: 15, msg: `default_site names unknown site "m9"`},
		{desc: "same underlay", src: sub(base, "192.0.2.2", "192.0.2.1"), line: 4, col: 18, msg: "sites m1 and m2 have the same underlay 192.0.2.1"},
		{desc: "underlay not an address", src: sub(base, "192.0.2.2", "m2.example"), line: 4, col: 18, msg: `underlay "m2.example" is not an IP address`},
		{desc: "no underlay", src: sub(base, "m2: {underlay: 192.0.2.2}", "m2: {}"), line: 4, col: 3, msg: "site m2 has no underlay address"},
		{desc: "loopback underlay", src: sub(base, "192.0.2.2", "127.0.0.1"), line: 4, col: 18, msg: "not an address another machine can reach"},
		{desc: "mixed families", src: sub(base, "192.0.2.2", "2001:db8::2"), line: 4, col: 18, msg: "not of the same IP version"},
		{desc: "unknown site field", src: sub(base, "{underlay: 192.0.2.2}", "{underlay: 192.0.2.2, prot: 1}"), line: 4, col: 29, msg: "prot"},
		{desc: "port out of range", src: sub(base, "{underlay: 192.0.2.2}", "{underlay: 192.0.2.2, port: 70000}"), line: 4, col: 35, msg: "site m2 port must be a whole number from 1 to 65535"},
		{desc: "ports differ", src: sub(base, "{underlay: 192.0.2.2}", "{underlay: 192.0.2.2, port: 8472}"), line: 13, col: 5, msg: "joins site m1 (port 4789) and site m2 (port 8472)"},
		{desc: "underlay mtu too small", src: sub(base, "{underlay: 192.0.2.2}", "{underlay: 192.0.2.2, mtu: 576}"), line: 4, col: 34, msg: "site m2 mtu must be a whole number from 1350"},
		{desc: "vni out of range", src: base + "    vni: 16777216\n", line: 14, col: 10, msg: "vni must be a whole number from 1 to 16777215"},
		{desc: "vni zero", src: base + "    vni: 0\n", line: 14, col: 10, msg: "vni must be a whole number from 1"},
		{desc: "vni collision", src: withSites(
			"  - endpoints: [h1:eth0, h2:eth0]",
			"    vni: 5001",
			"  - endpoints: [s1, h3:eth0]",
			"    vni: 5001",
		), line: 16, col: 10, msg: "vni 5001 is used by two links", hint: "line 13"},
		{desc: "link mtu does not fit", src: base + "    mtu: 1500\n", line: 14, col: 10, msg: "mtu 1500 does not fit the underlay (mtu 1500 less 50 for VXLAN)", hint: "mtu: 1450"},
		{desc: "link mtu does not fit a small underlay", src: sub(base, "{underlay: 192.0.2.2}", "{underlay: 192.0.2.2, mtu: 1400}") + "    mtu: 1400\n", line: 14, col: 10, msg: "mtu 1400 does not fit the underlay (mtu 1400 less 50", hint: "mtu: 1350"},
		{desc: "switch loop across sites without stp", src: withSites(
			"  - endpoints: [s1, s2]",
			"  - endpoints: [s1, s2]",
		), line: 14, col: 5, msg: "switches s1, s2 form a loop across sites without spanning tree", hint: "stp: true"},
		{desc: "site without sites", src: withHosts("  - endpoints: [h1:eth0, h2:eth0]") + "default_site: m1\n", line: 8, col: 15, msg: "the file has no sites:"},
		{desc: "node site without sites", src: sub(withHosts("  - endpoints: [h1:eth0, h2:eth0]"), "h1: {}", "h1: {site: m1}"), line: 2, col: 14, msg: `host h1 names site "m1", but the file has no sites:`},
		{desc: "vni without sites", src: withHosts("  - endpoints: [h1:eth0, h2:eth0]", "    vni: 7"), line: 8, col: 10, msg: "vni is for links between sites"},
		{desc: "bad site name", src: sub(base, "  m2: {underlay", "  m_2: {underlay"), line: 4, col: 3, msg: "site m_2: the name is not valid"},
	} {
		t.Run(c.desc, c.run)
	}
}

func TestSitesResolve(t *testing.T) {
	src := withSites(
		"  - endpoints: [h1:eth0, h2:eth0]", // 13: crosses
		"    vni: 5001",
		"  - endpoints: [s1, h3:eth0]", // 15: crosses, chosen VNI
		"  - endpoints: [h1:eth1, s1]", // 16: inside m1
		"  - endpoints: [h2:eth1, s2]", // 17: inside m2
		"    mtu: 1400",
	)
	lab, _ := mustParse(t, "two.yaml", src)
	if got := len(lab.Sites); got != 2 || lab.Sites[1].Port != DefaultVXLANPort || lab.Sites[1].MTU != DefaultUnderlayMTU {
		t.Fatalf("sites = %+v", lab.Sites)
	}
	if lab.Node("h3").Site != "m2" || lab.Node("s1").Site != "m1" {
		t.Errorf("sites of nodes: h3 %q, s1 %q", lab.Node("h3").Site, lab.Node("s1").Site)
	}
	l := lab.Links
	if l[0].VNI != 5001 || l[0].MTU != 1450 {
		t.Errorf("written vni: link %v vni %d mtu %d, want 5001 and 1450", l[0].Ends, l[0].VNI, l[0].MTU)
	}
	if l[1].VNI < autoVNIBase || l[1].MTU != 1450 {
		t.Errorf("chosen vni: %d (want >= %d), mtu %d", l[1].VNI, autoVNIBase, l[1].MTU)
	}
	// h1-s1 is inside m1, but s1 has a tunnel: its LAN takes 1450.
	if l[2].VNI != 0 || l[2].MTU != 1450 || l[3].MTU != 1400 {
		t.Errorf("links inside a site: vni %d mtu %d (want 1450, s1's tunnel's), mtu %d", l[2].VNI, l[2].MTU, l[3].MTU)
	}

	if m := l[0].Ends[0].MAC; len(m) != 6 || m[0]&3 != 2 || m.String() == l[0].Ends[1].MAC.String() {
		t.Errorf("derived MACs %s, %s: want distinct unicast locally administered ones", m, l[0].Ends[1].MAC)
	}

	// Stable across edits: another link, the order of endpoints, a
	// reordered file keep the VNI.
	edited := withSites(
		"  - endpoints: [h1:eth5, h3:eth5]",
		"  - endpoints: [h3:eth0, s1]",
		"  - endpoints: [h1:eth0, h2:eth0]",
		"    vni: 5001",
	)
	lab2, _ := mustParse(t, "two.yaml", edited)
	if lab2.Links[1].Ends[1].MAC.String() != l[1].Ends[0].MAC.String() {
		t.Errorf("s1's port to h3 changed MAC after an edit: %s -> %s", l[1].Ends[0].MAC, lab2.Links[1].Ends[1].MAC)
	}
	if lab2.Links[1].VNI != l[1].VNI {
		t.Errorf("chosen vni moved after an edit: %d -> %d", l[1].VNI, lab2.Links[1].VNI)
	}
	if lab2.Links[0].VNI == lab2.Links[1].VNI || lab2.Links[0].VNI < autoVNIBase {
		t.Errorf("new link vni %d", lab2.Links[0].VNI)
	}
	// Another lab with the same links gets other VNIs: labs share a
	// machine's VXLAN port.
	lab3, _ := mustParse(t, "other.yaml", sub(edited, "name: two", "name: other"))
	if lab3.Links[1].VNI == lab2.Links[1].VNI {
		t.Errorf("two labs chose the same vni %d", lab3.Links[1].VNI)
	}

	part, err := lab.ForSite("m2")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range part.Nodes {
		names = append(names, n.Name)
	}
	if strings.Join(names, ",") != "h2,h3,s2" || part.Site != "m2" {
		t.Errorf("m2's nodes: %v (site %q)", names, part.Site)
	}
	if len(part.Links) != 3 {
		t.Fatalf("m2's links: %d, want 3", len(part.Links))
	}
	tun := part.Links[1]
	want := Tunnel{VNI: l[1].VNI, Local: netip.MustParseAddr("192.0.2.2"), Remote: netip.MustParseAddr("192.0.2.1"), Port: 4789, Site: "m1"}
	if tun.Tunnel == nil || *tun.Tunnel != want || tun.Ends[0].String() != "h3:eth0" {
		t.Errorf("m2's tunnel to s1: %+v ends %v, want %+v with h3:eth0 first", tun.Tunnel, tun.Ends, want)
	}
	if part.Elsewhere["h1"] != "m1" || part.Elsewhere["h2"] != "" || !strings.Contains(part.NoNode("s1", "").Error(), "node s1 of lab two is on site m1; this machine holds site m2's part") {
		t.Errorf("m2's part: elsewhere %v", part.Elsewhere)
	}
	if lab.Links[1].Tunnel != nil || lab.Links[1].Ends[0].Node != "s1" {
		t.Errorf("ForSite changed the whole lab's link")
	}
	if part.Links[2].Tunnel != nil {
		t.Errorf("a link inside m2 got a tunnel")
	}
	if _, err := lab.ForSite("m3"); err == nil || !strings.Contains(err.Error(), "m1, m2") {
		t.Errorf("ForSite(m3) = %v, want the known sites named", err)
	}
}

func TestDefaultSite(t *testing.T) {
	src := "default_site: m1\n" + sub(withSites("  - endpoints: [h1:eth0, h2:eth0]"), "h1: {site: m1}", "h1: {}")
	lab, _ := mustParse(t, "two.yaml", src)
	if lab.Node("h1").Site != "m1" || lab.Node("h2").Site != "m2" {
		t.Errorf("h1 %q h2 %q", lab.Node("h1").Site, lab.Node("h2").Site)
	}
}

// TestNoSitesUnchanged: a file without sites: resolves as before, with
// no site, VNI or tunnel anywhere.
func TestNoSitesUnchanged(t *testing.T) {
	lab, _ := mustParse(t, "one.yaml", withHosts("  - endpoints: [h1:eth0, h2:eth0]"))
	if lab.Sites != nil || lab.Links[0].VNI != 0 || lab.Links[0].MTU != 1500 || lab.Node("h1").Site != "" || lab.Links[0].Ends[0].MAC != nil {
		t.Errorf("lab without sites: %+v %+v", lab.Sites, lab.Links[0])
	}
	if _, err := lab.ForSite("m1"); err == nil {
		t.Errorf("ForSite on a lab without sites succeeded")
	}
}

// TestSitesEveryProblemAtOnce: a refused site does not hide the
// problems of the nodes (one run of validate shows them all).
func TestSitesEveryProblemAtOnce(t *testing.T) {
	src := sub(sub(sub(withSites("  - endpoints: [h1:eth0, h2:eth0]"),
		"192.0.2.2", "192.0.2.1"), // line 4: same underlay as m1
		"h3: {site: m2}", "h3: {site: m3}"), // line 8: unknown site
		"s1: {site: m1}", "s1: {}") // line 10: no site
	_, _, err := Parse("two.yaml", []byte(src))
	if err == nil {
		t.Fatal("the file was accepted")
	}
	all := err.Error()
	for _, want := range []string{
		"two.yaml:4:18: sites m1 and m2 have the same underlay",
		`two.yaml:8:14: host h3: unknown site "m3"`,
		"two.yaml:10:3: switch s1 has no site:",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	// h2 names m2, which is written but refused: not "unknown".
	if strings.Contains(all, `unknown site "m2"`) {
		t.Errorf("m2 is written under sites: yet called unknown:\n%s", all)
	}
}
