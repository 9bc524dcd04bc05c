package link

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
)

// machineEnv marks the copy of the test binary that runs in a network
// namespace of its own, standing for a machine of a lab across sites.
const machineEnv = "TOPO_TEST_VXLAN_MACHINE"

// TestVXLANBornInNode checks, on the running kernel, the two promises
// of CreateVXLAN: the interface is born in the node's namespace and
// never shows where topo runs, while its UDP socket, opened when it
// comes up, lives where topo runs. VXLAN sockets are per namespace and
// port, so the test binary runs again in a network namespace of its
// own (the "machine"), where the port it opens is nobody else's; the
// root namespace is never touched. make test-kernel runs it on
// Debian's stock kernel too.
func TestVXLANBornInNode(t *testing.T) {
	needRoot(t)
	if os.Getenv(machineEnv) != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestVXLANBornInNode$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), machineEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestVXLANBornInNode") {
			t.Fatalf("the test in a namespace of its own: %v\n%s", err, out)
		}
		return
	}
	machine, err := netlink.NewHandle(syscall.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer machine.Close()
	ns := newNS(t, "vx")
	spec := VXLANSpec{
		NS: ns, Name: "eth7", VNI: 5001, Port: 47890, MTU: 1450,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"),
		Up: true,
	}
	if err := CreateVXLAN(spec); err != nil {
		t.Fatalf("CreateVXLAN: %v", err)
	}
	if _, err := machine.LinkByName("eth7"); err == nil {
		t.Errorf("eth7 shows in the namespace topo runs in")
	}
	l, err := ns.NL.LinkByName("eth7")
	if err != nil {
		t.Fatalf("eth7 in the node: %v", err)
	}
	vx, ok := l.(*netlink.Vxlan)
	if !ok {
		t.Fatalf("eth7 in the node is a %s, want vxlan", l.Type())
	}
	if vx.VxlanId != 5001 || vx.Port != 47890 || !vx.Group.Equal(spec.Remote.AsSlice()) || vx.MTU != 1450 || vx.Learning {
		t.Errorf("eth7: vni %d port %d remote %s mtu %d learning %v; want 5001 47890 192.0.2.2 1450 false",
			vx.VxlanId, vx.Port, vx.Group, vx.MTU, vx.Learning)
	}
	if vx.OperState == netlink.OperDown && vx.RawFlags&syscall.IFF_UP == 0 {
		t.Errorf("eth7 is not up")
	}
	// The UDP socket: bound to the port in this namespace (the
	// machine's), where /proc/self/net/udp lists the sockets.
	udp, err := os.ReadFile("/proc/self/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(udp), ":BB12 ") { // 47890 in hex
		t.Errorf("no UDP socket on port 47890 where topo runs:\n%s", udp)
	}
	if err := CreateVXLAN(spec); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateVXLAN again: %v, want fs.ErrExist", err)
	}
}
