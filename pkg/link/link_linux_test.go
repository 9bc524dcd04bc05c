package link

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestMain fails the run when the tests leave in the root namespace a
// link into one of their namespaces.
func TestMain(m *testing.M) { testns.Main(m, testns.Prefix()) }

func needRoot(t *testing.T) {
	t.Helper()
	testns.NeedRoot(t, "creates network namespaces and veths")
}

// newNS creates a namespace unique to this test process, removed with
// its processes at cleanup.
func newNS(t *testing.T, suffix string) *node.Namespace {
	t.Helper()
	name := testns.Name(suffix)
	ns, err := node.Create(name, node.CreateOptions{})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	ino := ns.Inode
	t.Cleanup(func() {
		ns.Close()
		node.KillProcesses(map[uint64]bool{ino: true})
		if err := node.Delete(name); err != nil {
			t.Errorf("Delete(%s): %v", name, err)
		}
	})
	return ns
}

func observe(t *testing.T, ns *node.Namespace) *topology.ObservedNode {
	t.Helper()
	o, err := Observe(ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func ipIn(t *testing.T, ns *node.Namespace, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %v: %v %s", ns.Name, args, err, out)
	}
	return string(out)
}

func TestVethAddrRoute(t *testing.T) {
	needRoot(t)
	a, b := newNS(t, "a"), newNS(t, "b")
	macA, _ := net.ParseMAC("02:00:00:00:0a:01")
	spec := VethSpec{A: a, B: b, AName: "eth0", BName: "eth1", MTU: 1400, AMAC: macA, Up: true}
	if err := CreateVeth(spec); err != nil {
		t.Fatal(err)
	}
	if err := CreateVeth(spec); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateVeth = %v, want fs.ErrExist", err)
	}
	pa := netip.MustParsePrefix("10.77.0.1/24")
	pa6 := netip.MustParsePrefix("fd77::1/64")
	pb := netip.MustParsePrefix("10.77.0.2/24")
	pb6 := netip.MustParsePrefix("fd77::2/64")
	for range 2 { // twice: idempotent
		for _, e := range []struct {
			ns  *node.Namespace
			if_ string
			p   netip.Prefix
		}{{a, "eth0", pa}, {a, "eth0", pa6}, {b, "eth1", pb}, {b, "eth1", pb6}} {
			if err := AddAddr(e.ns, e.if_, e.p); err != nil {
				t.Fatal(err)
			}
		}
	}
	rt := topology.Route{To: netip.MustParsePrefix("10.78.0.0/16"), Via: netip.MustParseAddr("10.77.0.2")}
	def := topology.Route{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.77.0.2")}
	def6 := topology.Route{To: netip.MustParsePrefix("::/0"), Via: netip.MustParseAddr("fd77::2")}
	for range 2 {
		for _, r := range []topology.Route{rt, def, def6} {
			if err := AddRoute(a, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := topology.Route{To: rt.To, Via: netip.MustParseAddr("10.77.0.3")}
	if err := AddRoute(a, other); err == nil {
		t.Fatal("AddRoute over a different route to the same prefix succeeded")
	}

	oa, ob := observe(t, a), observe(t, b)
	ea, eb := oa.Ifaces["eth0"], ob.Ifaces["eth1"]
	if ea == nil || eb == nil || len(oa.Ifaces) != 1 || len(ob.Ifaces) != 1 {
		t.Fatalf("ifaces: %v / %v", oa.Ifaces, ob.Ifaces)
	}
	if !oa.LoopbackUp || oa.Inode == 0 || oa.Inode == ob.Inode {
		t.Fatalf("node: lo up %v, inodes %d %d", oa.LoopbackUp, oa.Inode, ob.Inode)
	}
	if ino, _ := node.Inode(a.Name); ino != oa.Inode {
		t.Fatalf("Observe inode %d, node.Inode %d", oa.Inode, ino)
	}
	if ea.Kind != "veth" || ea.PeerIndex != eb.Index || eb.PeerIndex != ea.Index {
		t.Fatalf("veth peers: %+v %+v", ea, eb)
	}
	if ea.MTU != 1400 || eb.MTU != 1400 || ea.MAC.String() != macA.String() {
		t.Fatalf("mtu/mac: %+v %+v", ea, eb)
	}
	if !ea.AdminUp || !eb.AdminUp || ea.OperState != "up" {
		t.Fatalf("state: %+v %+v", ea, eb)
	}
	if !slices.Equal(ea.Addresses, []netip.Prefix{pa, pa6}) || !slices.Equal(eb.Addresses, []netip.Prefix{pb, pb6}) {
		t.Fatalf("addresses: %v %v", ea.Addresses, eb.Addresses)
	}
	if len(oa.Routes) != 3 || !slices.ContainsFunc(oa.Routes, func(r topology.Route) bool { return r.To == def.To && r.Via == def.Via }) ||
		!slices.ContainsFunc(oa.Routes, func(r topology.Route) bool { return r.To == def6.To && r.Via == def6.Via }) {
		t.Fatalf("routes: %v", oa.Routes)
	}
	if len(ob.Routes) != 0 {
		t.Fatalf("b has routes %v (kernel routes must not be listed)", ob.Routes)
	}
	// The IPv6 address is usable at once (NODAD): not tentative.
	if out := ipIn(t, a, "-6", "addr", "show", "dev", "eth0", "scope", "global"); strings.Contains(out, "tentative") {
		t.Fatalf("IPv6 address tentative: %s", out)
	}
	// Traffic flows inside our namespaces, both families.
	aFile, _, err := node.OpenNetns(a.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer aFile.Close()
	for _, dst := range []string{"10.77.0.2", "fd77::2"} {
		var out strings.Builder
		code, err := node.Run(node.ExecSpec{Netns: aFile, Args: []string{"ping", "-c1", "-W2", dst},
			Stdout: &out, Stderr: &out})
		if err != nil || code != 0 {
			t.Fatalf("ping %s: %d %v %s", dst, code, err, out.String())
		}
	}

	for range 2 {
		if err := DelRoute(a, rt); err != nil {
			t.Fatal(err)
		}
		if err := DelAddr(a, "eth0", pa6); err != nil {
			t.Fatal(err)
		}
	}
	if err := DelAddr(a, "nosuch", pa6); err != nil {
		t.Fatalf("DelAddr on missing iface: %v", err)
	}
	if err := DelRoute(a, topology.Route{To: netip.MustParsePrefix("fd99::/64"), Via: netip.MustParseAddr("fd77::9")}); err != nil {
		t.Fatalf("DelRoute never added: %v", err)
	}
	oa = observe(t, a)
	if len(oa.Routes) != 2 || !slices.Equal(oa.Ifaces["eth0"].Addresses, []netip.Prefix{pa}) {
		t.Fatalf("after deletes: routes %v addrs %v", oa.Routes, oa.Ifaces["eth0"].Addresses)
	}

	// State, MTU and MAC changes are read back.
	mac2, _ := net.ParseMAC("02:00:00:00:0b:02")
	if err := SetUp(b, "eth1", false); err != nil {
		t.Fatal(err)
	}
	if err := SetMTU(a, "eth0", 1300); err != nil {
		t.Fatal(err)
	}
	if err := SetMAC(b, "eth1", mac2); err != nil {
		t.Fatal(err)
	}
	oa, ob = observe(t, a), observe(t, b)
	if ob.Ifaces["eth1"].AdminUp || oa.Ifaces["eth0"].OperState == "up" {
		t.Fatalf("after down: %+v %+v", ob.Ifaces["eth1"], oa.Ifaces["eth0"])
	}
	if oa.Ifaces["eth0"].MTU != 1300 || ob.Ifaces["eth1"].MAC.String() != mac2.String() {
		t.Fatalf("after mtu/mac: %+v %+v", oa.Ifaces["eth0"], ob.Ifaces["eth1"])
	}
	if err := SetUp(b, "eth1", true); err != nil {
		t.Fatal(err)
	}
	if !observe(t, b).Ifaces["eth1"].AdminUp {
		t.Fatal("eth1 not up again")
	}

	// Deleting one end removes the pair; deleting again is fine.
	for range 2 {
		if err := Delete(b, "eth1"); err != nil {
			t.Fatal(err)
		}
	}
	if o := observe(t, a); len(o.Ifaces) != 0 {
		t.Fatalf("a still has %v", o.Ifaces)
	}
}

func TestVethTamperedExisting(t *testing.T) {
	needRoot(t)
	a, b := newNS(t, "p"), newNS(t, "q")
	ipIn(t, b, "link", "add", "eth9", "type", "bridge")
	err := CreateVeth(VethSpec{A: a, B: b, AName: "eth0", BName: "eth9"})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("CreateVeth onto existing peer name = %v, want fs.ErrExist", err)
	}
	if o := observe(t, a); len(o.Ifaces) != 0 {
		t.Fatalf("a got %v", o.Ifaces)
	}
	// A master that does not exist: the pair is rolled back.
	err = CreateVeth(VethSpec{A: a, B: b, AName: "eth0", BName: "eth1", BMaster: "nobr"})
	if err == nil {
		t.Fatal("CreateVeth with missing master succeeded")
	}
	if o := observe(t, a); len(o.Ifaces) != 0 {
		t.Fatalf("not rolled back: a has %v", o.Ifaces)
	}
}

// bridgeConf is the setting topo gives a switch with spanning tree on
// or off.
func bridgeConf(stp bool) node.BridgeConfig {
	return BridgeConfig(topology.BridgeConfOf(&topology.Node{STP: stp}))
}

func TestBridgeSettings(t *testing.T) {
	needRoot(t)
	sw, h1, h2 := newNS(t, "s"), newNS(t, "h"), newNS(t, "i")
	var idx [2]int
	for i := range idx { // made, then found
		var err error
		if idx[i], err = node.CreateBridge(sw, node.BridgeName, bridgeConf(false)); err != nil {
			t.Fatal(err)
		}
	}
	// p1 finds its master by name, p2 is given its index.
	for i, h := range []*node.Namespace{h1, h2} {
		port := fmt.Sprintf("p%d", i+1)
		err := CreateVeth(VethSpec{A: h, B: sw, AName: "eth0", BName: port, BMaster: node.BridgeName, BMasterIndex: idx[0] * i, Up: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	o := observe(t, sw)
	br := o.Ifaces[node.BridgeName]
	if br == nil || br.Kind != "bridge" || !br.AdminUp || br.Bridge == nil || *br.Bridge != topology.BridgeConfOf(&topology.Node{}) {
		t.Fatalf("bridge: %+v (settings %+v)", br, br.Bridge)
	}
	if idx[0] != br.Index || idx[1] != br.Index {
		t.Fatalf("CreateBridge gave indexes %v, the bridge has %d", idx, br.Index)
	}
	for _, p := range []string{"p1", "p2"} {
		if o.Ifaces[p] == nil || o.Ifaces[p].Master != node.BridgeName {
			t.Fatalf("port %s: %+v", p, o.Ifaces[p])
		}
	}
	if err := node.SetBridge(sw, node.BridgeName, bridgeConf(true)); err != nil {
		t.Fatal(err)
	}
	if b := observe(t, sw).Ifaces[node.BridgeName].Bridge; *b != topology.BridgeConfOf(&topology.Node{STP: true}) {
		t.Fatalf("after SetBridge(stp on): %+v", b)
	}
	if out := ipIn(t, sw, "-d", "link", "show", node.BridgeName); !strings.Contains(out, "stp_state 1") ||
		!strings.Contains(out, "forward_delay 200") {
		t.Fatalf("ip -d link: %s", out)
	}
	// Settings changed by hand are read back as they are.
	ipIn(t, sw, "link", "set", node.BridgeName, "type", "bridge", "ageing_time", "1000", "stp_state", "0")
	if c, err := node.ReadBridge(sw, node.BridgeName); err != nil || c.STP || c.AgeingTime != 1000 {
		t.Fatalf("ReadBridge after a change by hand = %+v, %v; want stp off, ageing 1000", c, err)
	}
	if _, err := node.CreateBridge(sw, node.BridgeName, bridgeConf(true)); err != nil {
		t.Fatal(err)
	}
	if c, err := node.ReadBridge(sw, node.BridgeName); err != nil || c != bridgeConf(true) {
		t.Fatalf("ReadBridge = %+v, %v after CreateBridge(stp) over it; want %+v", c, err, bridgeConf(true))
	}
	if _, err := node.ReadBridge(sw, "p1"); err == nil {
		t.Fatal("ReadBridge of a veth succeeded")
	}
	if _, err := node.CreateBridge(sw, "p1", bridgeConf(false)); err == nil {
		t.Fatal("CreateBridge over a veth succeeded")
	}

	// A new bridge with STP on, made in the one request.
	sw2 := newNS(t, "t")
	if _, err := node.CreateBridge(sw2, node.BridgeName, bridgeConf(true)); err != nil {
		t.Fatal(err)
	}
	if b := observe(t, sw2).Ifaces[node.BridgeName]; b == nil || !b.Bridge.STP || !b.AdminUp {
		t.Fatalf("new STP bridge: %+v", b)
	}
	if out := ipIn(t, sw2, "-d", "link", "show", node.BridgeName); !strings.Contains(out, "forward_delay 200") {
		t.Fatalf("ip -d link: %s", out)
	}
}

func TestObserveSysctls(t *testing.T) {
	needRoot(t)
	a := newNS(t, "y")
	if err := node.WriteSysctl(a, "net.ipv4.ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	o, err := Observe(a, []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Sysctls["net.ipv4.ip_forward"] != "1" || o.Sysctls["net.ipv6.conf.all.forwarding"] != "0" {
		t.Fatalf("sysctls %v", o.Sysctls)
	}
}
