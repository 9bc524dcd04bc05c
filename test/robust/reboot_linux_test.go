package robust

import (
	"strings"
	"testing"
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
			l.up()
			for _, n := range []string{"h1", "h2", "s1"} {
				sh(t, "ip", "netns", "del", l.ns(n))
			}
			if s := l.status(); s.State != "gone" {
				t.Errorf("status --json after the namespaces went: state %q, want gone", s.State)
			}
			text := l.must("status", l.name).stdout
			for _, want := range []string{l.name + ": gone", "topo up " + l.file, "topo down " + l.name} {
				if !strings.Contains(text, want) {
					t.Errorf("status does not say %q:\n%s", want, text)
				}
			}
			if then == "up" {
				sameSteps(t, "plan", l.plan(), []string{"+ node h1", "+ node h2", "+ node s1",
					"+ link h1:eth0 <-> s1:h1-eth0", "+ link h2:eth0 <-> s1:h2-eth0"})
				l.up()
				l.isComplete("up after the reboot", 3)
				// Not a ping: the kernel's neighbour table is shared by every
				// namespace on the machine, and other labs may fill it.
				if ports := strings.Count(sh(t, "ip", "-d", "-n", l.ns("s1"), "link"), "bridge_slave"); ports != 2 {
					t.Errorf("switch s1 has %d bridge ports after the rebuild, want 2", ports)
				}
				if r := l.must("exec", "--lab", l.name, "h2", "--", "hostname"); strings.TrimSpace(r.stdout) != "h2" {
					t.Errorf("hostname of h2 after the rebuild: %q", r.stdout)
				}
			}
			l.must("down", l.name)
			l.isGone("down after the reboot")
		})
	}
}
