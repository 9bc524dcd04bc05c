package topology

import (
	"net/netip"
	"strconv"
	"strings"
)

// Pos is a place in a topology file, for error messages: the line and,
// where YAML gives it, the column (both counted from 1) of the value
// it is about.
type Pos struct {
	File string `json:"-"`
	Line int    `json:"-"`
	// Col is 0 when only the line is known (a YAML syntax error, a
	// problem with the file as a whole).
	Col int `json:"-"`
}

// String renders the position as file:line:col, file:line when the
// column is unknown, or "" when the position is.
func (p Pos) String() string {
	if p.File == "" && p.Line == 0 {
		return ""
	}
	if p.Line == 0 {
		return p.File
	}
	s := p.File + ":" + strconv.Itoa(p.Line)
	if p.Col > 0 {
		s += ":" + strconv.Itoa(p.Col)
	}
	return s
}

// NodeKind says whether a node is a host (a network namespace with
// interfaces and routes) or a switch (a Linux bridge in a namespace of
// its own).
type NodeKind string

// The node kinds.
const (
	KindHost   NodeKind = "host"
	KindSwitch NodeKind = "switch"
)

// Lab is the desired state of one lab, fully resolved: every interface
// is named, every address chosen, every default applied. It is what the
// planner compares against the kernel, and what the state file stores.
type Lab struct {
	Name   string         `json:"name"`
	File   string         `json:"file,omitempty"`
	Nodes  []*Node        `json:"nodes"`
	Links  []*Link        `json:"links"`
	Expect []*Expectation `json:"expect,omitempty"`
	// Sites are the machines a lab is split across, in file order; nil
	// for a lab on one machine (see sites.go).
	Sites []*Site `json:"sites,omitempty"`
	// Site is the site this lab is the part of (see ForSite); "" for a
	// whole lab. A site's part holds only its own nodes, its links, a
	// tunnel for each link to another site, and in Remote the other
	// sites' interfaces, whose addresses it can reach.
	Site   string     `json:"site,omitempty"`
	Remote []Endpoint `json:"remote,omitempty"`
	// Elsewhere maps each node of the other sites to its site, in a
	// site's part; nil otherwise.
	Elsewhere map[string]string `json:"elsewhere,omitempty"`
	// Routing holds the lab-wide dynamic routing settings; nil when
	// the lab runs no routing protocol.
	Routing *Routing `json:"routing,omitempty"`
}

// Node is a host or switch of a lab.
type Node struct {
	Name string   `json:"name"`
	Kind NodeKind `json:"kind"`
	// Forward turns IPv4 and IPv6 forwarding on (a router). Hosts only.
	Forward bool `json:"forward,omitempty"`
	// Routes are the static routes of a host, in file order.
	Routes []Route `json:"routes,omitempty"`
	// Sysctls are extra sysctls set inside the host's namespace, keyed
	// by their dotted name (net.ipv4.icmp_echo_ignore_all).
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Exec lists shell commands run inside the host once it is built.
	Exec []string `json:"exec,omitempty"`
	// STP turns spanning tree on for a switch.
	STP bool `json:"stp,omitempty"`
	// Site is the machine that builds the node; "" in a lab without
	// sites.
	Site string `json:"site,omitempty"`
	// Private lists absolute paths (directories, or files named in
	// Files) that the node sees as its own, bound from the lab's state
	// directory over the machine's; sorted.
	Private []string `json:"private,omitempty"`
	// Files are written into the node's private view before its
	// services start, keyed by absolute path.
	Files map[string]string `json:"files,omitempty"`
	// Services are the node's long-running processes, in start order
	// (after: first).
	Services []*Service `json:"services,omitempty"`
	// BGP makes a router speak BGP; nil for none.
	BGP *BGP `json:"bgp,omitempty"`
	// NoOSPF keeps a router out of the lab-wide OSPF (ospf: false).
	NoOSPF bool `json:"no_ospf,omitempty"`
	Pos    Pos  `json:"-"`
}

// Route is one static route of a host.
type Route struct {
	// To is the destination; 0.0.0.0/0 or ::/0 for "default".
	To netip.Prefix `json:"to"`
	// Via is the next hop. An observed route may have none (a route
	// to a device, a blackhole): then it is invalid.
	Via netip.Addr `json:"via,omitzero"`
	// Dev, Type and Proto are only set on observed routes that topo did
	// not make: the device of a route without a next hop, a type other
	// than unicast ("blackhole", "unreachable", "prohibit") and the
	// routing protocol number (3 "boot" for `ip route add`; 0 means
	// topo's own, static).
	Dev   string `json:"dev,omitempty"`
	Type  string `json:"type,omitempty"`
	Proto int    `json:"proto,omitempty"`
	Pos   Pos    `json:"-"`
}

// String renders a route the way iproute2 does ("default via 10.0.0.1",
// "blackhole 10.5.0.0/24", "10.6.0.0/24 dev eth0 proto boot").
func (r Route) String() string {
	to := r.To.String()
	if r.To.Bits() == 0 {
		to = "default"
	}
	if r.Type != "" {
		to = r.Type + " " + to
	}
	if r.Via.IsValid() {
		to += " via " + r.Via.String()
	}
	if r.Dev != "" {
		to += " dev " + r.Dev
	}
	if r.Proto != 0 && r.Proto != protoStatic {
		to += " proto " + protoName(r.Proto)
	}
	return to
}

// key identifies a route for the planner: the same destination, type
// and next hop (or device, without one) are the same route whatever
// protocol made it.
func (r Route) key() string {
	k := r.Type + " " + r.To.Masked().String() + " " + r.Via.String()
	if !r.Via.IsValid() {
		k += " dev " + r.Dev
	}
	return k
}

const protoStatic = 4

// protoName names the routing protocols iproute2 knows by name.
func protoName(p int) string {
	names := map[int]string{1: "redirect", 2: "kernel", 3: "boot", 4: "static", 9: "ra", 16: "dhcp"}
	if n, ok := names[p]; ok {
		return n
	}
	return itoa(p)
}

// Link is a veth pair between two nodes.
type Link struct {
	Ends [2]Endpoint `json:"ends"`
	// MTU of both ends; 0 means the kernel default (1500).
	MTU int `json:"mtu,omitempty"`
	// Down is true when the link is declared `state: down`.
	Down bool `json:"down,omitempty"`
	// VNI is the VXLAN network identifier of a link between two sites;
	// 0 for a link inside one.
	VNI int `json:"vni,omitempty"`
	// Tunnel is set on a link that leaves a site's part of the lab
	// (see ForSite): Ends[0] is the local end, made a VXLAN interface,
	// Ends[1] the far end on another machine. nil otherwise.
	Tunnel *Tunnel `json:"tunnel,omitempty"`
	// OSPF is the link's OSPF area and cost; nil for the defaults.
	OSPF *LinkOSPF `json:"ospf,omitempty"`
	Pos  Pos       `json:"-"`
}

// Endpoint is one end of a link: an interface of a node.
type Endpoint struct {
	Node      string `json:"node"`
	Interface string `json:"interface"`
	// Addresses are the interface's addresses with their prefix length.
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	// MAC is the interface's hardware address; nil lets the kernel choose.
	MAC MAC `json:"mac,omitempty"`
	// Impair shapes the traffic leaving this end; nil for none.
	Impair *Impairment `json:"impair,omitempty"`
	// Dynamic lists how the node's own client addresses this end:
	// "dhcp" (IPv4), "dhcp6", "slaac" (IPv6). topo leaves those
	// families' addresses to it.
	Dynamic []string `json:"dynamic,omitempty"`
	// ImpairAt says where each field of Impair is written ("delay" ->
	// the delay: key in effect for this end), for messages about a
	// field; nil when the lab did not come from a file.
	ImpairAt map[string]Pos `json:"-"`
}

// String renders the endpoint as node:interface.
func (e Endpoint) String() string { return e.Node + ":" + e.Interface }

// Expectation is one assertion checked by `topo check`: that From
// reaches To (ICMP echo), and, with one of Via, TCP, UDP or MTU set,
// the path it takes, a connection to a port, or the largest packet that
// passes. Kind names which.
type Expectation struct {
	From string `json:"from"`
	// To is a node name or an address, as written.
	To string `json:"to"`
	// Reach is whether the check must succeed (true) or must not
	// (false): an echo reply, or a TCP connection or UDP answer.
	Reach bool `json:"reach"`
	// TTL, when non-zero, is the exact TTL the reply must carry.
	TTL int `json:"ttl,omitempty"`
	// Via lists the routers the path crosses, in order, found with
	// TTL-limited probes (as traceroute does).
	Via []string `json:"via,omitempty"`
	// TCP and UDP are the port a connection is made to.
	TCP int `json:"tcp,omitempty"`
	UDP int `json:"udp,omitempty"`
	// Send is written once connected; Reply (expect: in the file) is
	// text the answer must contain.
	Send  string `json:"send,omitempty"`
	Reply string `json:"expect,omitempty"`
	// MTU is the size in bytes of the largest IP packet with DF set
	// that must pass from From to To.
	MTU int `json:"mtu,omitempty"`
	// Points is what the expectation is worth when graded (default 1).
	Points int `json:"points"`
	Pos    Pos `json:"-"`
}

// The kinds of expectation (Expectation.Kind).
const (
	ExpectReach = "reach"
	ExpectPath  = "path"
	ExpectTCP   = "tcp"
	ExpectUDP   = "udp"
	ExpectMTU   = "mtu"
)

// Kind says what the expectation checks: ExpectReach, ExpectPath,
// ExpectTCP, ExpectUDP or ExpectMTU.
func (e *Expectation) Kind() string {
	switch {
	case len(e.Via) > 0:
		return ExpectPath
	case e.TCP != 0:
		return ExpectTCP
	case e.UDP != 0:
		return ExpectUDP
	case e.MTU != 0:
		return ExpectMTU
	}
	return ExpectReach
}

// String says what is expected, in words: "h1 must reach h3 via r1, r2",
// "h1 must not connect to web tcp/80".
func (e *Expectation) String() string {
	must := "must"
	if !e.Reach {
		must = "must not"
	}
	switch e.Kind() {
	case ExpectPath:
		return sprintf("%s must reach %s via %s", e.From, e.To, strings.Join(e.Via, ", "))
	case ExpectTCP:
		return sprintf("%s %s connect to %s tcp/%d", e.From, must, e.To, e.TCP)
	case ExpectUDP:
		return sprintf("%s %s get an answer from %s udp/%d", e.From, must, e.To, e.UDP)
	case ExpectMTU:
		return sprintf("%s must pass %d-byte packets to %s", e.From, e.MTU, e.To)
	}
	if e.TTL != 0 {
		return sprintf("%s %s reach %s with ttl %d", e.From, must, e.To, e.TTL)
	}
	return sprintf("%s %s reach %s", e.From, must, e.To)
}

// NodesByName indexes the lab's nodes by name, for callers that look
// many up (Node scans the list). The map is the caller's; it does not
// follow later changes to Nodes.
func (l *Lab) NodesByName() map[string]*Node {
	m := make(map[string]*Node, len(l.Nodes))
	for _, n := range l.Nodes {
		m[n.Name] = n
	}
	return m
}

// Node returns the node with the given name, or nil.
func (l *Lab) Node(name string) *Node {
	for _, n := range l.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Interfaces returns the endpoints that live on the named node, in link
// order.
func (l *Lab) Interfaces(node string) []Endpoint {
	var out []Endpoint
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if e.Node == node {
				out = append(out, e)
			}
		}
	}
	return out
}

// Namespace is the name of the network namespace that holds a node of
// the lab, as `ip netns list` shows it.
func Namespace(lab, node string) string { return lab + "-" + node }

// Addresses returns every address of a node's interfaces, in link
// order; in a site's part, a node of another site has its addresses
// too.
func (l *Lab) Addresses(node string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range l.Interfaces(node) {
		out = append(out, e.Addresses...)
	}
	for _, e := range l.Remote {
		if e.Node == node {
			out = append(out, e.Addresses...)
		}
	}
	return out
}

// AddressesByNode is Addresses for every node at once, in one pass over
// the links; nodes without addresses are absent.
func (l *Lab) AddressesByNode() map[string][]netip.Prefix {
	out := map[string][]netip.Prefix{}
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if len(e.Addresses) > 0 {
				out[e.Node] = append(out[e.Node], e.Addresses...)
			}
		}
	}
	for _, e := range l.Remote {
		if len(e.Addresses) > 0 {
			out[e.Node] = append(out[e.Node], e.Addresses...)
		}
	}
	return out
}

// FirstAddress is the address a node's name stands for: its first
// IPv4 address, else its first IPv6 one (as in the lab's hosts file,
// where IPv4 comes first).
func (l *Lab) FirstAddress(node string) (netip.Addr, bool) {
	var v6 netip.Addr
	for _, p := range l.Addresses(node) {
		if p.Addr().Is4() {
			return p.Addr(), true
		}
		if !v6.IsValid() {
			v6 = p.Addr()
		}
	}
	return v6, v6.IsValid()
}
