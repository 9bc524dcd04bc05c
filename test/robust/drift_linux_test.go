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
	nodes := []string{"h1", "h2", "h3"}
	for _, tc := range []struct {
		desc  string
		cmd   []string // what changes behind topo's back
		steps []string // the plan that repairs it
		names string   // what every drift line names
		fresh string   // a node whose namespace the repair recreates
		hold  string   // a node in which a process runs before the change
	}{{
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
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			l := l.in(t)
			inodes := map[string]uint64{}
			for _, n := range nodes {
				inodes[n] = testns.Inode(t, l.NS(n))
			}
			if tc.hold != "" {
				l.startSleeper(tc.hold, 100)
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
