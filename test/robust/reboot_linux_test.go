package robust

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// rebootBody is two hosts and a switch: a lab with a bridge.
const rebootBody = `switches:
  s1: {}
hosts:
  h1: {}
  h2: {}
links:
  - endpoints: [h1, s1]
    addresses: [10.77.5.1/24]
  - endpoints: [h2, s1]
    addresses: [10.77.5.2/24]
`

// TestReboot simulates a kernel that forgot everything: the lab's
// namespaces are deleted by hand while /run/topo stays. `topo status`
// says the lab is gone and what to do; then `topo up FILE` rebuilds it
// whole, or `topo down` removes its state.
func TestReboot(t *testing.T) {
	l := newLab(t, "reboot", rebootBody)
	for _, then := range []string{"up", "down"} {
		t.Run(then, func(t *testing.T) {
			l := l.in(t)
			l.Up()
			for _, n := range []string{"h1", "h2", "s1"} {
				e2e.Sh(t, "ip", "netns", "del", l.NS(n))
			}
			if s := l.status(); s.State != "gone" {
				t.Errorf("status --json after the namespaces went: state %q, want gone", s.State)
			}
			text := l.Must("status", l.Name).Stdout
			for _, want := range []string{l.Name + ": gone", "topo up " + l.File, "topo down " + l.Name} {
				if !strings.Contains(text, want) {
					t.Errorf("status does not say %q:\n%s", want, text)
				}
			}
			if then == "up" {
				e2e.SameSteps(t, "plan", l.Plan(), []string{"+ node h1", "+ node h2", "+ node s1",
					"+ link h1:eth0 <-> s1:h1-eth0", "+ link h2:eth0 <-> s1:h2-eth0"})
				l.Up()
				l.isComplete("up after the reboot", 3)
				// Not a ping: the kernel's neighbour table is shared by every
				// namespace on the machine, and other labs may fill it.
				if ports := strings.Count(e2e.Sh(t, "ip", "-d", "-n", l.NS("s1"), "link"), "bridge_slave"); ports != 2 {
					t.Errorf("switch s1 has %d bridge ports after the rebuild, want 2", ports)
				}
				if r := l.Must("exec", "--lab", l.Name, "h2", "--", "hostname"); strings.TrimSpace(r.Stdout) != "h2" {
					t.Errorf("hostname of h2 after the rebuild: %q", r.Stdout)
				}
			}
			l.Must("down", l.Name)
			l.Gone("down after the reboot")
		})
	}
}
