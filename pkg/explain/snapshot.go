package explain

import (
	"net/netip"
)

// Lab is a snapshot of a lab: its nodes as their kernels hold them and
// the wires between their interfaces. Nodes may be read as a walk
// reaches them (Load): a walk then reads only the nodes on its way.
type Lab struct {
	Nodes map[string]*Node
	// Load, when set, reads a node missing from Nodes (nil when it
	// cannot); what it returns is kept in Nodes. With Load set, walks
	// must not run concurrently.
	Load func(name string) *Node
	// Wires are the lab's links (veth pairs): each joins two ends.
	Wires [][2]End
	// Subnets gives, for each address of the lab, the subnet it was
	// given with: the words for "no route to 10.1.3.0/24".
	Subnets map[netip.Addr]netip.Prefix
	// Switches names the lab's switches, and Owners the nodes each
	// address of the lab is given to: with them, resolving a next hop
	// reads the nodes that own it and the switches on the way to them,
	// not every node of the LAN. nil: taken from the nodes in Nodes
	// (all of them must be there then). Not changed once walked.
	Switches map[string]bool
	Owners   map[netip.Addr][]string

	index index
}

// node returns the named node, read through Load when it is not in
// Nodes yet; nil when there is no such node.
func (l *Lab) node(name string) *Node {
	if n, ok := l.Nodes[name]; ok || l.Load == nil {
		return n
	}
	n := l.Load(name)
	if l.Nodes == nil {
		l.Nodes = map[string]*Node{}
	}
	l.Nodes[name] = n
	return n
}

// End names one interface of one node.
type End struct{ Node, Iface string }

// String is "node:iface".
func (e End) String() string { return e.Node + ":" + e.Iface }

// Node is one node's kernel state, as far as a packet's path depends
// on it.
type Node struct {
	Name string
	// Switch is true for a lab switch: a bridge (Bridge) whose ports
	// pass frames between the wires plugged into them.
	Switch bool
	Bridge string
	Ifaces map[string]*Iface
	// Routes are the routes of every table, in the kernel's order.
	Routes []Route
	// Planned are the routes the lab file gives the node. The kernel
	// drops a route through an interface set down; these tell which
	// down interface took the route to a destination with it.
	Planned []Route
	// Forward4 and Forward6 are whether the node forwards IPv4
	// (net.ipv4.ip_forward) and IPv6 (net.ipv6.conf.all.forwarding).
	Forward4, Forward6 bool
	// EchoIgnore4 and EchoIgnore6 are net.ipv4.icmp_echo_ignore_all and
	// net.ipv6.icmp.echo_ignore_all.
	EchoIgnore4, EchoIgnore6 bool
	// Neighbors are the node's neighbour entries.
	Neighbors []Neighbor
	// Firewall lists the node's nftables base chains that may drop.
	Firewall []Chain
	// Policy is true when the node has routing rules besides the
	// kernel's defaults: the walk's lookups, which read the main table,
	// may then differ from the kernel's.
	Policy bool
}

// Iface is one interface of a node.
type Iface struct {
	Name string
	// Up is the administrative state (ip link set up); Carrier whether
	// the link has its carrier (the other end is up too).
	Up, Carrier bool
	MAC         string
	Addrs       []netip.Prefix
	// Master names the bridge the interface is a port of ("" for none).
	Master string
}

// Route is one route of a node's tables.
type Route struct {
	Dst netip.Prefix
	// Gw is the gateway; invalid for an on-link route.
	Gw  netip.Addr
	Dev string
	// Type is "unicast", "local", "blackhole", "unreachable",
	// "prohibit", "broadcast", "multicast" or "anycast".
	Type   string
	Metric int
	// Table is the routing table: 255 local, 254 main, 253 default.
	Table int
	// Src is the preferred source, when the route names one.
	Src netip.Addr
}

// Neighbor is one neighbour entry.
type Neighbor struct {
	Addr  netip.Addr
	Dev   string
	MAC   string
	State string // "permanent", "reachable", "stale", "failed", ...
}

// Chain is an nftables base chain that may drop packets: its policy
// is drop, or it has rules whose verdict is drop or reject.
type Chain struct {
	// Family ("ip", "ip6", "inet"), Table and Name identify it; Hook is
	// "input", "output", "forward", "prerouting" or "postrouting".
	Family, Table, Name, Hook string
	PolicyDrop                bool
	// Drops counts the rules that drop or reject.
	Drops int
}

// String is "inet filter forward".
func (c Chain) String() string { return c.Family + " " + c.Table + " " + c.Name }

// owns reports whether the node holds dst as one of its addresses,
// loopback included, or takes it as its own by a local route (ip route
// add local 10.9.0.0/16 dev lo).
func (n *Node) owns(dst netip.Addr) bool {
	if dst.IsLoopback() {
		return true
	}
	for _, ifc := range n.Ifaces {
		for _, p := range ifc.Addrs {
			if p.Addr() == dst {
				return true
			}
		}
	}
	for _, r := range n.Routes {
		if r.Type == "local" && r.Dst.Addr().Is4() == dst.Is4() && r.Dst.Contains(dst) {
			return true
		}
	}
	return false
}

// neighbor returns the node's entry for addr on dev, nil for none.
func (n *Node) neighbor(addr netip.Addr, dev string) *Neighbor {
	for i := range n.Neighbors {
		if nb := &n.Neighbors[i]; nb.Addr == addr && nb.Dev == dev {
			return nb
		}
	}
	return nil
}
