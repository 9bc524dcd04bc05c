package robust

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// driftBody is three hosts in a line; h1 routes a subnet via h2.
const driftBody = `hosts:
  h1:
    routes:
      - {to: 10.99.0.0/16, via: 10.77.1.2}
  h2: {}
  h3: {}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.77.1.1/24, 10.77.1.2/24]
  - endpoints: [h2:eth1, h3:eth0]
    addresses: [10.77.2.2/24, 10.77.2.3/24]
`

// TestDrift changes the lab behind topo's back, one thing at a time:
// each change shows in `topo status` (state "drifted", a drift line
// naming it, in text and JSON) and in `topo plan` as exactly the steps
// that repair it, and `topo up` repairs just that: the other
// namespaces keep their inodes.
func TestDrift(t *testing.T) {
	l := newLab(t, "drift", driftBody)
	l.Up()
	l.drifts([]string{"h1", "h2", "h3"}, []driftCase{{
		desc:  "veth deleted",
		cmd:   []string{"ip", "-n", l.NS("h1"), "link", "del", "eth0"},
		steps: []string{"+ link h1:eth0 <-> h2:eth0", "+ h1 route 10.99.0.0/16 via 10.77.1.2"},
		names: "h1",
	}, {
		desc:  "address removed",
		cmd:   []string{"ip", "-n", l.NS("h2"), "addr", "del", "10.77.2.2/24", "dev", "eth1"},
		steps: []string{"+ h2:eth1 address 10.77.2.2/24"},
		names: "h2:eth1",
	}, {
		desc:  "link set down",
		cmd:   []string{"ip", "-n", l.NS("h3"), "link", "set", "eth0", "down"},
		steps: []string{"~ h3:eth0 up"},
		names: "h3:eth0",
	}, {
		desc:  "route replaced by hand through another gateway",
		cmd:   []string{"ip", "-n", l.NS("h1"), "route", "replace", "10.99.0.0/16", "via", "10.77.1.99"},
		steps: []string{"- h1 route 10.99.0.0/16 via 10.77.1.99 proto boot", "+ h1 route 10.99.0.0/16 via 10.77.1.2"},
		names: "h1 route",
	}, {
		desc:  "default route added by hand",
		cmd:   []string{"ip", "-n", l.NS("h3"), "route", "add", "default", "via", "10.77.2.2"},
		steps: []string{"- h3 route default via 10.77.2.2 proto boot"},
		names: "h3 route",
	}, {
		desc:  "blackhole route added by hand",
		cmd:   []string{"ip", "-n", l.NS("h2"), "route", "add", "blackhole", "10.55.0.0/16"},
		steps: []string{"- h2 route blackhole 10.55.0.0/16 proto boot"},
		names: "h2 route",
	}, {
		desc:  "a lab default changed by hand",
		cmd:   []string{"ip", "netns", "exec", l.NS("h2"), "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"},
		steps: []string{"~ h2 sysctl net.ipv4.conf.all.rp_filter = 0"},
		names: "h2 sysctl",
	}, {
		// Read through another directory than the IPv4 ones, and
		// not over netlink as forwarding and rp_filter could be.
		desc:  "an IPv6 lab default changed by hand",
		cmd:   []string{"ip", "netns", "exec", l.NS("h3"), "sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=3"},
		steps: []string{"~ h3 sysctl net.ipv6.conf.default.router_solicitations = 0"},
		names: "h3 sysctl",
	}, {
		desc:  "an ARP lab default changed by hand",
		cmd:   []string{"ip", "netns", "exec", l.NS("h1"), "sysctl", "-qw", "net.ipv4.conf.default.arp_ignore=1"},
		steps: []string{"~ h1 sysctl net.ipv4.conf.default.arp_ignore = 0"},
		names: "h1 sysctl",
	}, {
		desc:  "route deleted",
		cmd:   []string{"ip", "-n", l.NS("h1"), "route", "del", "10.99.0.0/16"},
		steps: []string{"+ h1 route 10.99.0.0/16 via 10.77.1.2"},
		names: "h1 route",
	}, {
		// A process keeps the deleted namespace, and so h2's end of
		// the link, alive: the repair must delete that end first (and
		// without the process, the kernel's cleanup would race the
		// observation).
		desc:  "namespace deleted while a process holds it",
		cmd:   []string{"ip", "netns", "del", l.NS("h3")},
		steps: []string{"- link h2:eth1 <-> h3:eth0", "+ node h3", "+ link h2:eth1 <-> h3:eth0"},
		names: "h3",
		fresh: "h3",
		hold:  "h3",
	}})
}

// driftCase is one change made behind topo's back.
type driftCase struct {
	desc  string
	cmd   []string // what changes behind topo's back
	steps []string // the plan that repairs it
	names string   // what every drift line names
	fresh string   // a node whose namespace the repair recreates
	hold  string   // a node in which a process runs before the change
}

// drifts makes each change in turn and checks status, plan and up.
func (l *labT) drifts(nodes []string, cases []driftCase) {
	for i, tc := range cases {
		l.T.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			inodes := map[string]uint64{}
			for _, n := range nodes {
				inodes[n] = testns.Inode(t, l.NS(n))
			}
			if tc.hold != "" {
				l.startSleeper(tc.hold, 100+i)
			}
			e2e.Sh(t, tc.cmd[0], tc.cmd[1:]...)

			s := l.status()
			if s.State != "drifted" {
				t.Errorf("status --json: state %q, want drifted", s.State)
			}
			var drift []string
			for _, d := range s.Drift {
				drift = append(drift, d)
				if !strings.Contains(d, tc.names) {
					t.Errorf("status --json: drift line %q does not name %q", d, tc.names)
				}
			}
			e2e.SameSteps(t, "status --json drift", e2e.PlanSteps(strings.Join(drift, "\n")), tc.steps)
			text := l.Must("status", l.Name).Stdout
			if !strings.Contains(text, ": drifted") || !strings.Contains(text, "drift (") {
				t.Errorf("status does not show the drift:\n%s", text)
			}
			for _, d := range drift {
				if !strings.Contains(text, d) {
					t.Errorf("status text lacks the drift line %q:\n%s", d, text)
				}
			}
			e2e.SameSteps(t, "plan", l.Plan(), tc.steps)
			e2e.SameSteps(t, "up", l.Up(), tc.steps)

			for _, n := range nodes {
				got := testns.Inode(t, l.NS(n))
				if n != tc.fresh && got != inodes[n] {
					t.Errorf("repair replaced namespace %s (inode %d -> %d)", l.NS(n), inodes[n], got)
				}
			}
			if s := l.status(); s.State != "up" || len(s.Drift) > 0 {
				t.Errorf("after the repair: state %q, drift %v; want up, none", s.State, s.Drift)
			}
			if steps := l.Plan(); len(steps) > 0 {
				t.Errorf("after the repair the plan is not empty: %v", steps)
			}
		})
	}
}

// switchBody is two hosts on a switch, with a spanning tree.
const switchBody = `hosts:
  h1: {}
  h2: {}
switches:
  s1: {stp: true}
links:
  - endpoints: [h1, s1]
    addresses: [10.77.3.1/24]
  - endpoints: [h2, s1]
    addresses: [10.77.3.2/24]
`

// TestDriftUnseen makes by hand the changes that once went unseen: the
// switch's bridge set down, given an address, its spanning tree or
// timers changed, a qdisc put on a port.
func TestDriftUnseen(t *testing.T) {
	l := newLab(t, "unseen", switchBody)
	l.Up()
	ns := l.NS("s1")
	l.drifts([]string{"h1", "h2", "s1"}, []driftCase{{
		desc:  "bridge set down",
		cmd:   []string{"ip", "-n", ns, "link", "set", "br0", "down"},
		steps: []string{"~ s1:br0 up"},
		names: "s1",
	}, {
		desc:  "address added on the bridge",
		cmd:   []string{"ip", "-n", ns, "addr", "add", "10.77.3.99/24", "dev", "br0"},
		steps: []string{"- s1:br0 address 10.77.3.99/24"},
		names: "s1:br0",
	}, {
		desc:  "spanning tree turned off",
		cmd:   []string{"ip", "-n", ns, "link", "set", "br0", "type", "bridge", "stp_state", "0"},
		steps: []string{"~ s1 bridge stp on"},
		names: "s1 bridge",
	}, {
		desc:  "ageing time changed",
		cmd:   []string{"ip", "-n", ns, "link", "set", "br0", "type", "bridge", "ageing_time", "1000"},
		steps: []string{"~ s1 bridge stp on"},
		names: "ageing_time 10s -> 300s",
	}, {
		desc:  "a qdisc put on a port",
		cmd:   []string{"tc", "-n", ns, "qdisc", "add", "dev", "h1-eth0", "root", "bfifo"},
		steps: []string{"~ s1:h1-eth0 impair none"},
		names: "qdisc bfifo",
	}, {
		desc:  "a qdisc put on a host",
		cmd:   []string{"tc", "-n", l.NS("h1"), "qdisc", "add", "dev", "eth0", "root", "pfifo"},
		steps: []string{"~ h1:eth0 impair none"},
		names: "qdisc pfifo",
	}, {
		desc:  "a qdisc put on the bridge",
		cmd:   []string{"tc", "-n", ns, "qdisc", "add", "dev", "br0", "root", "pfifo"},
		steps: []string{"~ s1:br0 impair none"},
		names: "qdisc pfifo",
	}})

	// Addresses with a lifetime come from router advertisements or
	// DHCP, which a lab may run: they are not topo's, and not drift.
	e2e.Sh(t, "ip", "-n", l.NS("h1"), "addr", "add", "10.77.3.50/24", "dev", "eth0", "valid_lft", "300", "preferred_lft", "300")
	e2e.Sh(t, "ip", "-n", ns, "addr", "add", "fd00:77::5/64", "dev", "br0", "valid_lft", "300", "preferred_lft", "300")
	if s := l.status(); s.State != "up" || len(s.Drift) > 0 {
		t.Errorf("addresses with a lifetime: status %q, drift %v; want up, none", s.State, s.Drift)
	}
}
