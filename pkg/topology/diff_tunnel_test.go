package topology

import (
	"strings"
	"testing"
)

const tunnelBase = `
name: t
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
hosts:
  h1: {site: m1}
  h2: {site: m2}
  h3: {site: m1}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.0.0.1/24, 10.0.0.2/24]
    vni: 5001
  - endpoints: [h1:eth1, h3:eth0]
`

// tunnelNoH1 is tunnelBase without h1 and its links.
const tunnelNoH1 = `
name: t
sites:
  m1: {underlay: 192.0.2.1}
  m2: {underlay: 192.0.2.2}
hosts:
  h2: {site: m2}
  h3: {site: m1}
links:
  - endpoints: [h3:eth1, h2:eth1]
`

func sitePart(t *testing.T, src, site string) *Lab {
	t.Helper()
	l, err := parseLab(t, src).ForSite(site)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDiffTunnel(t *testing.T) {
	m1 := sitePart(t, tunnelBase, "m1")
	for _, c := range []struct {
		desc string
		// applied is what the site's state holds; the kernel matches
		// it exactly.
		applied, desired *Lab
		want, never      []string
	}{
		{
			desc: "new lab", desired: m1,
			want:  []string{"+ tunnel h1:eth0 -> h2:eth0 (site m2 192.0.2.2 port 4789 vni 5001) (new)", "+ link h1:eth1 <-> h3:eth0 ", "+ node h1", "+ node h3"},
			never: []string{"node h2", "h2:eth0 address"},
		},
		{desc: "up to date", applied: m1, desired: m1, never: []string{"+", "-", "~"}},
		{
			desc: "vni changed", applied: m1, desired: sitePart(t, strings.Replace(tunnelBase, "vni: 5001", "vni: 5002", 1), "m1"),
			want:  []string{"- h1:eth0 interface ", "(changed: tunnel vni 5001 to 192.0.2.2:4789 -> vni 5002 to 192.0.2.2:4789)", "+ tunnel h1:eth0 -> h2:eth0 (site m2 192.0.2.2 port 4789 vni 5002)"},
			never: []string{"node"},
		},
		{
			desc: "far end moved to this site", applied: m1, desired: sitePart(t, strings.Replace(tunnelBase, "h2: {site: m2}", "h2: {site: m1}", 1), "m1"),
			want:  []string{"+ node h2", "- link h1:eth0 <-> h2:eth0", "+ link h1:eth0 <-> h2:eth0"},
			never: []string{"+ tunnel"},
		},
		{
			desc: "node with a tunnel removed", applied: m1, desired: sitePart(t, tunnelNoH1, "m1"),
			want: []string{"- link h1:eth0 <-> h2:eth0 ", "(node h1 removed)", "- node h1", "+ tunnel h3:eth1 -> h2:eth1"},
		},
		{
			desc: "the other site's part", applied: nil, desired: sitePart(t, tunnelBase, "m2"),
			want:  []string{"+ node h2", "+ tunnel h2:eth0 -> h1:eth0 (site m1 192.0.2.1 port 4789 vni 5001) (new)"},
			never: []string{"node h1", "node h3", "h3:eth0"},
		},
	} {
		t.Run(c.desc, func(t *testing.T) {
			cur := Current{}
			if c.applied != nil {
				cur = Current{Applied: c.applied, Observed: observedFrom(c.applied)}
			}
			got := strings.Join(steps(Diff(c.desired, cur)), "\n")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("plan lacks %q:\n%s", w, got)
				}
			}
			for _, n := range c.never {
				if strings.Contains(got, n) {
					t.Errorf("plan has %q:\n%s", n, got)
				}
			}
		})
	}
}

// TestDiffTunnelDrift: a tunnel's interface replaced by hand with one
// of another VNI, or of another kind, is made again.
func TestDiffTunnelDrift(t *testing.T) {
	m1 := sitePart(t, tunnelBase, "m1")
	obs := observedFrom(m1)
	obs.Nodes["h1"].Ifaces["eth0"].VXLAN.VNI = 9
	got := strings.Join(steps(Diff(m1, Current{Applied: m1, Observed: obs})), "\n")
	if !strings.Contains(got, "(drift: tunnel vni 9 to 192.0.2.2:4789 -> vni 5001") || !strings.Contains(got, "- h1:eth0 interface ") || !strings.Contains(got, "+ tunnel h1:eth0") {
		t.Errorf("plan:\n%s", got)
	}
	obs = observedFrom(m1)
	obs.Nodes["h1"].Ifaces["eth0"].Kind, obs.Nodes["h1"].Ifaces["eth0"].VXLAN = "dummy", nil
	got = strings.Join(steps(Diff(m1, Current{Applied: m1, Observed: obs})), "\n")
	if !strings.Contains(got, "(drift: h1:eth0 is not the tunnel)") || !strings.Contains(got, "- h1:eth0 interface ") || !strings.Contains(got, "+ tunnel h1:eth0") {
		t.Errorf("plan:\n%s", got)
	}
}
