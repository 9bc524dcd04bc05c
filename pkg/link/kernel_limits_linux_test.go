package link

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// TestBridgePortLimit holds topology.MaxBridgePorts to the running
// kernel: a switch's bridge takes exactly that many ports, made as topo
// makes them (the port end born in the switch's namespace as a port of
// its bridge, the far end in another namespace), and refuses one more
// with EXFULL. Validation then refuses every switch the kernel would
// refuse half-way through a build, and no switch the kernel takes.
func TestBridgePortLimit(t *testing.T) {
	needRoot(t)
	sw, far := newNS(t, "brlim-s"), newNS(t, "brlim-h")
	br, err := node.CreateBridge(sw, node.BridgeName, node.BridgeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	port := func(i int) error {
		return CreateVeth(VethSpec{
			A: sw, B: far,
			AName: fmt.Sprintf("p%d", i), BName: fmt.Sprintf("e%d", i),
			AMaster: node.BridgeName, AMasterIndex: br,
		})
	}
	for i := 1; i <= topology.MaxBridgePorts; i++ {
		if err := port(i); err != nil {
			t.Fatalf("port %d of at most %d: %v", i, topology.MaxBridgePorts, err)
		}
	}
	if err := port(topology.MaxBridgePorts + 1); !errors.Is(err, unix.EXFULL) {
		t.Fatalf("port %d: %v; want EXFULL (the bridge is full at %d ports)", topology.MaxBridgePorts+1, err, topology.MaxBridgePorts)
	}
}

// TestReservedInterfaceNames: each interface name validation keeps for
// the kernel is one the kernel refuses in a fresh namespace (here, as
// the far end of a veth: what a node's interface is), so refusing it
// in the file saves a half-built lab. bonding_masters is refused only
// while the bonding driver is loaded, which this test does not do.
func TestReservedInterfaceNames(t *testing.T) {
	needRoot(t)
	a, b := newNS(t, "resv-a"), newNS(t, "resv-b")
	for i, name := range []string{"lo", "all", "default", ".", ".."} {
		file := fmt.Sprintf("name: resv\nhosts: {h1: {}, h2: {}}\nlinks:\n  - endpoints:\n      - {node: h1, interface: %q}\n      - h2\n", name)
		if _, _, err := topology.Parse("resv.yaml", []byte(file)); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("interface %q: validation says %v; want it reserved", name, err)
		}
		err := CreateVeth(VethSpec{A: a, B: b, AName: fmt.Sprintf("r%d", i), BName: name})
		if err == nil {
			t.Errorf("the kernel took an interface named %q", name)
		}
	}
}
