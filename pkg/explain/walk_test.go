package explain

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
)

// builder makes snapshots the way the kernel would hold them.
type builder struct {
	l    *Lab
	macs int
}

func newBuilder() *builder {
	return &builder{l: &Lab{Nodes: map[string]*Node{}, Subnets: map[netip.Addr]netip.Prefix{}}}
}

func (b *builder) node(name string) *Node {
	n := b.l.Nodes[name]
	if n == nil {
		n = &Node{Name: name, Ifaces: map[string]*Iface{"lo": {Name: "lo", Up: true, Carrier: true}}}
		b.l.Nodes[name] = n
	}
	return n
}

// iface adds node:name with an address (and its connected route).
func (b *builder) iface(node, name, addr string) End {
	n := b.node(node)
	b.macs++
	ifc := &Iface{Name: name, Up: true, Carrier: true, MAC: fmt.Sprintf("02:00:00:00:00:%02x", b.macs)}
	if addr != "" {
		p := netip.MustParsePrefix(addr)
		ifc.Addrs = append(ifc.Addrs, p)
		b.l.Subnets[p.Addr()] = p
		n.Routes = append(n.Routes, Route{Dst: p.Masked(), Dev: name, Type: "unicast", Table: TableMain, Src: p.Addr()})
	}
	n.Ifaces[name] = ifc
	return End{node, name}
}

// wire joins two interfaces made by iface.
func (b *builder) wire(x, y End) { b.l.Wires = append(b.l.Wires, [2]End{x, y}) }

// link makes and wires node a:ia (address aa) to c:ic (address ca).
func (b *builder) link(a, ia, aa, c, ic, ca string) {
	b.wire(b.iface(a, ia, aa), b.iface(c, ic, ca))
}

// sw makes a switch with a bridge and wires each end to a port.
func (b *builder) sw(name string, ends ...End) {
	n := b.node(name)
	n.Switch, n.Bridge = true, "br0"
	n.Ifaces["br0"] = &Iface{Name: "br0", Up: true, Carrier: true, MAC: "02:00:00:00:0b:01"}
	for i, e := range ends {
		port := b.iface(name, fmt.Sprintf("p%d", i+1), "")
		n.Ifaces[port.Iface].Master = "br0"
		b.wire(e, port)
	}
}

func (b *builder) route(node, dst, gw, dev string) {
	n := b.node(node)
	r := Route{Dst: netip.MustParsePrefix(dst), Dev: dev, Type: "unicast", Table: TableMain}
	if gw != "" {
		r.Gw = netip.MustParseAddr(gw)
	}
	n.Routes = append(n.Routes, r)
	n.Planned = append(n.Planned, r)
}

func (b *builder) unroute(node, dst string) {
	n := b.node(node)
	var keep []Route
	for _, r := range n.Routes {
		if r.Dst.String() != dst {
			keep = append(keep, r)
		}
	}
	n.Routes = keep
}

// down sets node:iface down as `ip link set down` does: the other end
// of its wire loses its carrier, and the kernel drops the routes
// through it.
func (b *builder) down(node, iface string) {
	e := End{node, iface}
	b.l.iface(e).Up = false
	b.l.iface(e).Carrier = false
	if p, ok := b.l.peer(e); ok {
		b.l.iface(p).Carrier = false
	}
	n := b.node(node)
	var keep []Route
	for _, r := range n.Routes {
		if r.Dev != iface {
			keep = append(keep, r)
		}
	}
	n.Routes = keep
}

// chain: h1 - s1 - r1 - r2 - h2, plus h3 on s1; forwarding routers.
func chain() *builder {
	b := newBuilder()
	h1 := b.iface("h1", "eth0", "10.1.1.10/24")
	h3 := b.iface("h3", "eth0", "10.1.1.30/24")
	r1 := b.iface("r1", "eth0", "10.1.1.1/24")
	b.sw("s1", h1, h3, r1)
	b.link("r1", "eth1", "10.1.2.1/24", "r2", "eth0", "10.1.2.2/24")
	b.link("r2", "eth1", "10.1.3.1/24", "h2", "eth0", "10.1.3.10/24")
	b.route("h1", "0.0.0.0/0", "10.1.1.1", "eth0")
	b.route("h3", "0.0.0.0/0", "10.1.1.1", "eth0")
	b.route("h2", "0.0.0.0/0", "10.1.3.1", "eth0")
	b.route("r1", "10.1.3.0/24", "10.1.2.2", "eth1")
	b.route("r2", "10.1.1.0/24", "10.1.2.1", "eth0")
	b.node("r1").Forward4, b.node("r2").Forward4 = true, true
	return b
}

func TestWalk(t *testing.T) {
	h2 := netip.MustParseAddr("10.1.3.10")
	for _, tc := range []struct {
		desc   string
		break_ func(b *builder)
		from   string
		to     netip.Addr
		want   string // the sentence; "" for a path that works
		back   bool
		kind   Kind
	}{
		{desc: "works", from: "h1", to: h2},
		{desc: "own address", from: "h1", to: netip.MustParseAddr("10.1.1.10")},
		{desc: "loopback", from: "h1", to: netip.MustParseAddr("127.0.0.1")},
		{desc: "a local route takes a whole subnet", break_: func(b *builder) {
			b.node("h2").Routes = append(b.node("h2").Routes, Route{Dst: netip.MustParsePrefix("10.9.0.0/16"), Dev: "lo", Type: "local", Table: TableLocal})
			b.route("r2", "10.9.0.0/16", "10.1.3.10", "eth1")
			b.route("r1", "10.9.0.0/16", "10.1.2.2", "eth1")
		}, from: "h1", to: netip.MustParseAddr("10.9.1.1")},
		{desc: "own link down", break_: func(b *builder) { b.down("h1", "eth0") }, from: "h1", to: h2,
			want: "h1:eth0 is down (topo link or state: down)", kind: KindLinkDown},
		{desc: "router's far link down", break_: func(b *builder) { b.down("r1", "eth1") }, from: "h1", to: h2,
			want: "r1:eth1 is down (topo link or state: down)", kind: KindLinkDown},
		{desc: "a router's link down, and a destination it never had a route to", break_: func(b *builder) { b.down("r1", "eth1") }, from: "h1", to: netip.MustParseAddr("10.9.9.9"),
			want: "r1 has no route to 10.9.9.9", kind: KindNoRoute},
		{desc: "the far end of the first link down", break_: func(b *builder) { b.down("r2", "eth0") }, from: "h1", to: h2,
			want: "r2:eth0 is down (topo link or state: down)", kind: KindLinkDown},
		{desc: "a switch port down", break_: func(b *builder) { b.down("s1", "p3") }, from: "h1", to: h2,
			want: "s1:p3 is down (topo link or state: down)", kind: KindLinkDown},
		{desc: "no forward route", break_: func(b *builder) { b.unroute("r1", "10.1.3.0/24") }, from: "h1", to: h2,
			want: "r1 has no route to 10.1.3.0/24", kind: KindNoRoute},
		{desc: "no return route", break_: func(b *builder) { b.unroute("r2", "10.1.1.0/24") }, from: "h1", to: h2,
			want: "r2 has no route back to 10.1.1.0/24: the echo arrived but the reply was lost", back: true, kind: KindNoRoute},
		{desc: "no forwarding", break_: func(b *builder) { b.node("r1").Forward4 = false }, from: "h1", to: h2,
			want: "r1 does not forward (forward: false)", kind: KindNoForward},
		{desc: "no forwarding on the way back only matters both ways", break_: func(b *builder) { b.node("r2").Forward4 = false }, from: "h3", to: netip.MustParseAddr("10.1.1.10")},
		{desc: "echo ignored", break_: func(b *builder) { b.node("h2").EchoIgnore4 = true }, from: "h1", to: h2,
			want: "h2 ignores echo requests (net.ipv4.icmp_echo_ignore_all = 1)", kind: KindEchoIgnored},
		{desc: "wrong static neighbour", break_: func(b *builder) {
			b.node("h1").Neighbors = []Neighbor{{Addr: netip.MustParseAddr("10.1.1.1"), Dev: "eth0", MAC: "02:00:00:00:00:99", State: "permanent"}}
		}, from: "h1", to: h2,
			want: "h1's neighbour entry for 10.1.1.1 says 02:00:00:00:00:99 (permanent), but 10.1.1.1 is at 02:00:00:00:00:03 (r1:eth0): the frames go to a MAC nobody has (fix or delete it: ip neigh del 10.1.1.1 dev eth0)", kind: KindNeighbor},
		{desc: "right static neighbour", break_: func(b *builder) {
			b.node("h1").Neighbors = []Neighbor{{Addr: netip.MustParseAddr("10.1.1.1"), Dev: "eth0", MAC: "02:00:00:00:00:03", State: "permanent"}}
		}, from: "h1", to: h2},
		{desc: "gateway nobody has", break_: func(b *builder) {
			b.unroute("h1", "0.0.0.0/0")
			b.route("h1", "0.0.0.0/0", "10.1.1.254", "eth0")
		}, from: "h1", to: h2,
			want: "h1's gateway 10.1.1.254 is not on h1:eth0's link: no node there has that address", kind: KindNoNeighbor},
		{desc: "routing loop", break_: func(b *builder) {
			b.unroute("r2", "10.1.1.0/24")
			b.route("r2", "0.0.0.0/0", "10.1.2.1", "eth0")
			b.unroute("r1", "10.1.3.0/24")
			b.route("r1", "0.0.0.0/0", "10.1.2.2", "eth1")
		}, from: "h1", to: netip.MustParseAddr("10.9.9.9"),
			want: "the packet loops: r1 gets it back on eth1 (r1 → r2 → r1)", kind: KindLoop},
		{desc: "blackhole", break_: func(b *builder) {
			b.node("r2").Routes = append(b.node("r2").Routes, Route{Dst: netip.MustParsePrefix("10.1.1.0/25"), Type: "blackhole", Table: TableMain})
		}, from: "h1", to: h2,
			want: "r2 has a blackhole route to 10.1.1.0/25", back: true, kind: KindRejectRoute},
		{desc: "firewall on the router", break_: func(b *builder) {
			b.node("r1").Firewall = []Chain{{Family: "inet", Table: "filter", Name: "fwd", Hook: "forward", Drops: 1}}
		}, from: "h1", to: h2,
			want: "r1's firewall may drop the request: nftables chain inet filter fwd (hook forward) has a drop rule", kind: KindFirewall},
		{desc: "a firewall off the way says nothing", break_: func(b *builder) {
			b.node("h3").Firewall = []Chain{{Family: "inet", Table: "filter", Name: "in", Hook: "input", PolicyDrop: true}}
		}, from: "h1", to: h2},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := chain()
			if tc.break_ != nil {
				tc.break_(b)
			}
			p := Walk(b.l, tc.from, netip.Addr{}, tc.to)
			js, _ := json.MarshalIndent(p, "", " ")
			if tc.want == "" {
				if p.Broken != nil {
					t.Fatalf("broken: %+v\n%s", p.Broken, js)
				}
				if last := p.Forward[len(p.Forward)-1]; !last.OK || last.Verdict != "delivered" {
					t.Fatalf("request not delivered:\n%s", js)
				}
				if last := p.Back[len(p.Back)-1]; last.Node != tc.from || last.Verdict != "delivered" {
					t.Fatalf("reply not delivered to %s:\n%s", tc.from, js)
				}
				return
			}
			if p.Broken == nil || p.Broken.Sentence != tc.want || p.Broken.Back != tc.back || p.Broken.Kind != tc.kind {
				t.Fatalf("broken = %+v\nwant %q (back %v, %s)\n%s", p.Broken, tc.want, tc.back, tc.kind, js)
			}
		})
	}
}

func TestWalkHops(t *testing.T) {
	b := chain()
	p := Walk(b.l, "h1", netip.Addr{}, netip.MustParseAddr("10.1.3.10"))
	var got []string
	for _, hs := range [][]Hop{p.Forward, p.Back} {
		var s []string
		for _, h := range hs {
			s = append(s, fmt.Sprintf("%s[%s>%s %s]", h.Node, h.In, h.Out, h.Verdict))
		}
		got = append(got, strings.Join(s, " "))
	}
	want := []string{
		"h1[>eth0 sent] r1[eth0>eth1 forwarded] r2[eth0>eth1 forwarded] h2[eth0> delivered]",
		"h2[>eth0 sent] r2[eth1>eth0 forwarded] r1[eth1>eth0 forwarded] h1[eth0> delivered]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Forward[0].NextHop != netip.MustParseAddr("10.1.1.1") {
		t.Fatalf("h1's next hop %s, want its gateway", p.Forward[0].NextHop)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// A walk reads only the nodes on its way.
func TestWalkLoadsLazily(t *testing.T) {
	b := chain()
	all := b.l.Nodes
	var loaded []string
	b.fileView()
	b.l.Nodes = nil
	b.l.Load = func(name string) *Node {
		loaded = append(loaded, name)
		return all[name]
	}
	p := Walk(b.l, "h1", netip.Addr{}, netip.MustParseAddr("10.1.1.30"))
	if p.Broken != nil {
		t.Fatalf("h1 -> h3: %+v", p.Broken)
	}
	sort.Strings(loaded)
	if got := strings.Join(loaded, " "); got != "h1 h3 s1" {
		t.Fatalf("loaded %s, want h1 h3 s1 (not r1, r2 nor h2)", got)
	}
}

// fileView gives the snapshot what a lab file tells without reading a
// node: which nodes are switches and who owns each address.
func (b *builder) fileView() {
	b.l.Switches, b.l.Owners = map[string]bool{}, map[netip.Addr][]string{}
	for name, n := range b.l.Nodes {
		b.l.Switches[name] = n.Switch
		for _, ifc := range n.Ifaces {
			for _, p := range ifc.Addrs {
				b.l.Owners[p.Addr()] = append(b.l.Owners[p.Addr()], name)
			}
		}
	}
}

// lan is one LAN of hosts h1..hN (10.0.x.y/16) under a tree of
// switches: a root s0 and a leaf switch per 8 hosts.
func lan(hosts int) *builder {
	b := newBuilder()
	var leaves []End
	for k := 0; k*8 < hosts; k++ {
		var ends []End
		for h := k*8 + 1; h <= min(hosts, k*8+8); h++ {
			ends = append(ends, b.iface(fmt.Sprintf("h%d", h), "eth0", fmt.Sprintf("10.0.%d.%d/16", h/250, h%250+1)))
		}
		up := b.iface(fmt.Sprintf("s%d", k+1), "up", "")
		b.sw(fmt.Sprintf("s%d", k+1), ends...)
		b.node(fmt.Sprintf("s%d", k+1)).Ifaces["up"].Master = "br0"
		leaves = append(leaves, up)
	}
	b.sw("s0", leaves...)
	return b
}

// One explanation reads the source, the nodes that own the next hops
// and the switches on the way, the same however large the LAN.
func TestWalkCostIndependentOfLAN(t *testing.T) {
	addrOf := func(h int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", h/250, h%250+1)) }
	for _, tc := range []struct {
		desc     string
		break_   func(b *builder)
		to       int // the host h1 probes
		want     string
		reads    string
		maxReads int // when reads is "": at most this many nodes read
	}{
		{desc: "works", to: 20, reads: "h1 h20 s0 s1 s3"},
		{desc: "the target's link down", break_: func(b *builder) { b.down("h20", "eth0") }, to: 20,
			want: "h20:eth0 is down (topo link or state: down)", reads: "h1 h20 s0 s1 s3"},
		{desc: "a switch port on the way down", break_: func(b *builder) { b.down("s3", "up") }, to: 20,
			want: "s3:up is down (topo link or state: down)", reads: "h1 h20 s0 s1 s3"},
		{desc: "nobody has the address", to: -1, // read: h1, and the LAN's hosts up to maxLANRead
			want: "nobody on h1:eth0's link has 10.0.200.1 (h1 sends to it directly, as on-link)", maxReads: 1 + maxLANRead},
		{desc: "a wrong static entry", break_: func(b *builder) {
			b.node("h1").Neighbors = []Neighbor{{Addr: addrOf(20), Dev: "eth0", MAC: "02:00:00:00:00:fe", State: "permanent"}}
		}, to: 20, want: "h1's neighbour entry for 10.0.0.21 says 02:00:00:00:00:fe (permanent), but 10.0.0.21 is at 02:00:00:00:00:", reads: "h1 h20 s0 s1 s3"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var sentences []string
			for _, hosts := range []int{24, 2400} {
				b := lan(hosts)
				if tc.break_ != nil {
					tc.break_(b)
				}
				b.fileView()
				all := b.l.Nodes
				b.l.Nodes = nil
				var loaded []string
				b.l.Load = func(name string) *Node {
					loaded = append(loaded, name)
					return all[name]
				}
				dst := netip.MustParseAddr("10.0.200.1")
				if tc.to > 0 {
					dst = addrOf(tc.to)
				}
				p := Walk(b.l, "h1", netip.Addr{}, dst)
				sort.Strings(loaded)
				if got := strings.Join(loaded, " "); tc.maxReads == 0 && got != tc.reads || tc.maxReads > 0 && len(loaded) > tc.maxReads {
					t.Errorf("%d hosts: read %s, want %s (at most %d)", hosts, got, tc.reads, tc.maxReads)
				}
				got := ""
				if p.Broken != nil {
					got = p.Broken.Sentence
				}
				if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
					t.Errorf("%d hosts: broken %q, want %q", hosts, got, tc.want)
				}
				sentences = append(sentences, got)
			}
			if sentences[0] != sentences[1] {
				t.Errorf("the sentence depends on the LAN's size: %q and %q", sentences[0], sentences[1])
			}
		})
	}
}

// With switches wired in a loop, a way that is down does not hide
// another that passes frames.
func TestWalkAroundASwitchLoop(t *testing.T) {
	b := lan(24)
	b.link("s1", "side", "", "s3", "side", "")
	b.node("s1").Ifaces["side"].Master = "br0"
	b.node("s3").Ifaces["side"].Master = "br0"
	dst := netip.MustParseAddr("10.0.0.21") // h20, on s3
	if p := Walk(b.l, "h1", netip.Addr{}, dst); p.Broken != nil {
		t.Fatalf("h1 -> h20 across the loop: %+v", p.Broken)
	}
	b.down("s1", "side") // the shorter way
	if p := Walk(b.l, "h1", netip.Addr{}, dst); p.Broken != nil {
		t.Fatalf("h1 -> h20 with s1:side down, through s0: %+v", p.Broken)
	}
	b.down("s1", "up")
	p := Walk(b.l, "h1", netip.Addr{}, dst)
	if p.Broken == nil || p.Broken.Sentence != "s1:side is down (topo link or state: down)" {
		t.Fatalf("h1 -> h20 with both ways down: %+v", p.Broken)
	}
}

// TestWalkFindsAnAddressAddedByHand: the classic "two addresses of one
// subnet in one namespace" exercise adds an address by hand; the file
// gives it to nobody, yet the node across the link holds it, and the
// walk follows it there (to the reply that is lost on the way back).
func TestWalkFindsAnAddressAddedByHand(t *testing.T) {
	b := newBuilder()
	b.link("h1", "eth0", "10.0.0.1/24", "h2", "eth0", "10.0.0.2/24")
	b.link("h3", "eth0", "10.0.0.3/24", "h1", "eth1", "")
	b.fileView() // what the file says: 10.0.0.11 is nobody's
	// By hand: h1 takes 10.0.0.11/24 on eth1 (its route comes after
	// eth0's, so replies to 10.0.0.3 leave by eth0, where h3 is not).
	h1 := b.node("h1")
	p := netip.MustParsePrefix("10.0.0.11/24")
	h1.Ifaces["eth1"].Addrs = append(h1.Ifaces["eth1"].Addrs, p)
	h1.Routes = append(h1.Routes, Route{Dst: p.Masked(), Dev: "eth1", Type: "unicast", Table: TableMain, Src: p.Addr()})
	path := Walk(b.l, "h3", netip.Addr{}, p.Addr())
	if path.Broken == nil {
		t.Fatal("the walk found nothing broken")
	}
	if want := "nobody on h1:eth0's link has 10.0.0.3"; !strings.HasPrefix(path.Broken.Sentence, want) {
		t.Errorf("broken: %q, want it to start %q", path.Broken.Sentence, want)
	}
}
