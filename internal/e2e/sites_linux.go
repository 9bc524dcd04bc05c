package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Machines on one: tests of labs split across sites simulate each
// machine as a network namespace, all joined by an underlay (a bridge
// in a namespace of its own, a veth from each machine to it), and run
// topo inside each with `nsenter --net` (only the network namespace:
// `ip netns exec` would also give topo a mount namespace of its own,
// and the namespaces topo binds under /run/netns would vanish with it)
// and a state directory of its own. Nothing touches the root
// namespace.

// Machine is one simulated machine of a lab split across sites.
type Machine struct {
	// Site is the site it builds.
	Site string
	// NS is its network namespace, Underlay its address there.
	NS, Underlay string
	// StateDir is its TOPO_STATE_DIR.
	StateDir string
	lab      *Lab
}

// Underlay joins simulated machines; see NewUnderlay.
type Underlay struct {
	lab  *Lab
	wire string // the namespace of the underlay's bridge
	// MTU is the underlay's MTU.
	MTU int
}

// NewUnderlay makes the underlay of lab l's machines: a namespace
// LAB-wire holding a bridge; Cleanup takes every machine's part of the
// lab down and deletes the machines and the wire (before the lab's own
// cleanup checks that nothing of it remains).
func NewUnderlay(l *Lab, mtu int) *Underlay {
	l.T.Helper()
	u := &Underlay{lab: l, wire: l.Name + "-wire", MTU: mtu}
	Sh(l.T, "ip", "netns", "add", u.wire)
	l.T.Cleanup(func() { exec.Command("ip", "netns", "del", u.wire).Run() })
	Sh(l.T, "ip", "-n", u.wire, "link", "add", "br0", "mtu", fmt.Sprint(mtu), "type", "bridge")
	Sh(l.T, "ip", "-n", u.wire, "link", "set", "br0", "up")
	return u
}

// Machine adds a machine for site with underlay address addr/24
// (192.0.2.N), its namespace LAB-site-SITE.
func (u *Underlay) Machine(site, addr string) *Machine {
	t := u.lab.T
	t.Helper()
	m := &Machine{Site: site, NS: u.lab.Name + "-site-" + site, Underlay: addr, StateDir: t.TempDir(), lab: u.lab}
	Sh(t, "ip", "netns", "add", m.NS)
	t.Cleanup(func() {
		if r := m.Topo("down", u.lab.Name); r.Code != 0 {
			t.Errorf("cleanup: %v", r)
		}
		exec.Command("ip", "netns", "del", m.NS).Run()
	})
	port := "p-" + site
	Sh(t, "ip", "link", "add", "eth0", "netns", m.NS, "mtu", fmt.Sprint(u.MTU), "type", "veth", "peer", "name", port, "netns", u.wire, "mtu", fmt.Sprint(u.MTU))
	Sh(t, "ip", "-n", u.wire, "link", "set", port, "master", "br0", "up")
	Sh(t, "ip", "-n", m.NS, "addr", "add", addr+"/24", "dev", "eth0")
	Sh(t, "ip", "-n", m.NS, "link", "set", "eth0", "up")
	Sh(t, "ip", "-n", m.NS, "link", "set", "lo", "up")
	return m
}

// Command is topo with args run on the machine.
func (m *Machine) Command(args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--net=/run/netns/" + m.NS, bin}, args...)...)
	cmd.Env = append(os.Environ(), "TOPO_STATE_DIR="+m.StateDir)
	return cmd
}

// Topo runs topo on the machine and waits for it.
func (m *Machine) Topo(args ...string) Result {
	m.lab.T.Helper()
	cmd := m.Command(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Args: args, Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		m.lab.T.Fatalf("run topo %v on %s: %v", args, m.Site, err)
	}
	return r
}

// Must runs topo on the machine and fails the test unless it exits 0.
func (m *Machine) Must(args ...string) Result {
	m.lab.T.Helper()
	r := m.Topo(args...)
	if r.Code != 0 {
		m.lab.T.Fatalf("site %s: %v", m.Site, r)
	}
	return r
}

// Up runs `topo up FILE --site SITE` on the machine.
func (m *Machine) Up() Result {
	m.lab.T.Helper()
	return m.Must("up", m.lab.File, "--site", m.Site)
}

// Start runs topo on the machine in the background.
func (m *Machine) Start(args ...string) *Proc {
	m.lab.T.Helper()
	p := &Proc{Args: args, Cmd: m.Command(args...)}
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.err
	if err := p.Cmd.Start(); err != nil {
		m.lab.T.Fatalf("start topo %v: %v", args, err)
	}
	return p
}

// Sites writes the sites: section for machines, one line each.
func Sites(ms ...*Machine) string {
	var b strings.Builder
	b.WriteString("sites:\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "  %s: {underlay: %s}\n", m.Site, m.Underlay)
	}
	return b.String()
}
