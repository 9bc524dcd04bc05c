package link

import (
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// Requests that read back what ethtoolSTSO and ethtoolSGRO set.
const (
	ethtoolGTSO = 0x1e
	ethtoolGGRO = 0x2b
)

func offload(t *testing.T, ns *node.Namespace, name string, cmd uint32) bool {
	t.Helper()
	v := ethtoolValue{cmd: cmd}
	var r ifreqData
	copy(r.name[:], name)
	r.data = unsafe.Pointer(&v)
	err := ns.DeviceIoctl(unix.SIOCETHTOOL, unsafe.Pointer(&r))
	runtime.KeepAlive(&v)
	if err != nil {
		t.Fatalf("%s:%s: read offload %#x: %v", ns.Name, name, cmd, err)
	}
	return v.data != 0
}

// napiPackets is how many packets ns's interface name took from its
// own NAPI ring (ethtool -S: rx_queue_0_xdp_packets counts every packet
// veth_poll hands on, XDP program or not), or -1 without ethtool.
func napiPackets(t *testing.T, ns *node.Namespace, name string) int {
	t.Helper()
	if _, err := exec.LookPath("ethtool"); err != nil {
		return -1
	}
	out, err := exec.Command("ip", "netns", "exec", ns.Name, "ethtool", "-S", name).CombinedOutput()
	if err != nil {
		t.Fatalf("ethtool -S %s in %s: %v %s", name, ns.Name, err, out)
	}
	m := regexp.MustCompile(`rx_queue_0_xdp_packets: (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ethtool -S %s in %s shows no rx_queue_0_xdp_packets:\n%s", name, ns.Name, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestFloodOffloads: with FloodQueues, a bridge port sends with TSO
// off and the host across receives with GRO on, so a broadcast the
// switch floods (h1's ARP request for h2) reaches h2 through h2's own
// NAPI ring, not the machine's input backlog; an end that is no bridge
// port, or a link without FloodQueues, keeps the kernel's defaults.
func TestFloodOffloads(t *testing.T) {
	needRoot(t)
	if ok, why := FloodQueues(); !ok {
		t.Skip(why)
	}
	sw, h1, h2, h3 := newNS(t, "s"), newNS(t, "h"), newNS(t, "i"), newNS(t, "j")
	if _, err := node.CreateBridge(sw, node.BridgeName, bridgeConf(false)); err != nil {
		t.Fatal(err)
	}
	for i, h := range []*node.Namespace{h1, h2} {
		port := "p" + strconv.Itoa(i+1)
		// The switch end is A for h1 and B for h2: both sides of the spec.
		spec := VethSpec{A: sw, B: h, AName: port, BName: "eth0", AMaster: node.BridgeName, Up: true, FloodQueues: true}
		if i == 1 {
			spec = VethSpec{A: h, B: sw, AName: "eth0", BName: port, BMaster: node.BridgeName, Up: true, FloodQueues: true}
		}
		if err := CreateVeth(spec); err != nil {
			t.Fatal(err)
		}
		if offload(t, sw, port, ethtoolGTSO) || !offload(t, h, "eth0", ethtoolGGRO) {
			t.Errorf("%s: bridge port TSO %v, host GRO %v; want off, on", port,
				offload(t, sw, port, ethtoolGTSO), offload(t, h, "eth0", ethtoolGGRO))
		}
		if !offload(t, h, "eth0", ethtoolGTSO) {
			t.Errorf("%s: the host end lost its TSO", h.Name)
		}
	}
	if err := CreateVeth(VethSpec{A: h3, B: h1, AName: "eth0", BName: "eth1", Up: true, FloodQueues: true}); err != nil {
		t.Fatal(err)
	}
	// A port of a LAN that fits the backlog keeps the defaults.
	if err := CreateVeth(VethSpec{A: sw, B: h3, AName: "p3", BName: "eth1", AMaster: node.BridgeName, Up: true}); err != nil {
		t.Fatal(err)
	}
	if !offload(t, sw, "p3", ethtoolGTSO) || offload(t, h3, "eth1", ethtoolGGRO) {
		t.Errorf("without FloodQueues: port TSO %v, host GRO %v; want the defaults (on, off)",
			offload(t, sw, "p3", ethtoolGTSO), offload(t, h3, "eth1", ethtoolGGRO))
	}
	if offload(t, h3, "eth0", ethtoolGGRO) || !offload(t, h3, "eth0", ethtoolGTSO) {
		t.Errorf("a veth between hosts: GRO %v, TSO %v; want the defaults (off, on)",
			offload(t, h3, "eth0", ethtoolGGRO), offload(t, h3, "eth0", ethtoolGTSO))
	}
	ipIn(t, h1, "addr", "add", "10.77.5.1/24", "dev", "eth0")
	ipIn(t, h2, "addr", "add", "10.77.5.2/24", "dev", "eth0")
	before := napiPackets(t, h2, "eth0")
	if before < 0 {
		t.Log("no ethtool: the path of the flooded copy is not checked")
		return
	}
	out, err := exec.Command("ip", "netns", "exec", h1.Name, "ping", "-c1", "-W5", "10.77.5.2").CombinedOutput()
	if err != nil {
		t.Fatalf("h1 cannot ping h2 through the switch: %v %s", err, out)
	}
	if after := napiPackets(t, h2, "eth0"); after < before+2 {
		t.Errorf("h2 took %d packets from its NAPI ring for an ARP request and an echo request; want 2 or more", after-before)
	}
}
