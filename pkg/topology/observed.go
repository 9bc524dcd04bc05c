package topology

import (
	"net"
	"net/netip"
)

// Observed is what the kernel holds for a lab, as read from the lab's
// namespaces. Nodes whose namespace does not exist are absent from
// Nodes.
type Observed struct {
	Nodes map[string]*ObservedNode `json:"nodes"`
	// Services holds, per node, the services the lab's supervisor
	// keeps; nil when unknown (no supervisor was asked).
	Services map[string]map[string]bool `json:"services,omitempty"`
}

// ObservedNode is the kernel's view of one node's namespace.
type ObservedNode struct {
	Name string `json:"name"`
	// Inode identifies the network namespace (the nsfs inode).
	Inode uint64 `json:"inode"`
	// Ifaces are the namespace's interfaces except lo, keyed by name.
	Ifaces map[string]*ObservedIface `json:"ifaces"`
	// LoopbackUp reports whether lo is administratively up.
	LoopbackUp bool `json:"loopbackUp"`
	// Routes are the routes of the main table topo manages: its own
	// (static) and any made by hand; the kernel's and routing daemons'
	// are not listed (see link.managedRoutes).
	Routes []Route `json:"routes,omitempty"`
	// Sysctls holds the current value of each sysctl that was asked
	// for when observing, keyed by dotted name.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Leftovers is what a reset undoes (see Current.Reset); nil unless
	// observed for one.
	Leftovers *Leftovers `json:"leftovers,omitempty"`
}

// Leftovers is what a node holds that a fresh one would not: what
// people and programs did inside it since it was made.
type Leftovers struct {
	// Processes is how many processes run in the namespace.
	Processes int `json:"processes"`
	// Neighbours is how many entries its neighbour tables hold, learned
	// or permanent.
	Neighbours int `json:"neighbours"`
	// Sysctls holds each net.* setting whose value differs from a fresh
	// node's: key -> {value now, value in a fresh node}.
	Sysctls map[string][2]string `json:"sysctls,omitempty"`
}

// ObservedIface is the kernel's view of one interface.
type ObservedIface struct {
	Name string `json:"name"`
	// Kind is the netlink link type: "veth", "bridge", ...
	Kind  string `json:"kind"`
	Index int    `json:"index"`
	// PeerIndex is the ifindex of a veth's other end (in its own
	// namespace), 0 when unknown.
	PeerIndex int `json:"peerIndex,omitempty"`
	// Master is the name of the bridge this interface is a port of.
	Master    string           `json:"master,omitempty"`
	MAC       net.HardwareAddr `json:"mac"`
	MTU       int              `json:"mtu"`
	AdminUp   bool             `json:"adminUp"`
	OperState string           `json:"operState"`
	// Carrier is the lower layer's state right now (IFF_LOWER_UP);
	// OperState follows it, for a bridge up to a second later.
	Carrier bool `json:"carrier"`
	// Addresses are the permanent global and site scope addresses:
	// link-local addresses, which the kernel makes, and addresses with a
	// lifetime (from router advertisements or DHCP) are left out.
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	// Leased are the global and site scope addresses with a lifetime,
	// which a client holds (DHCP, SLAAC): never drift, only shown.
	Leased []netip.Prefix `json:"leased,omitempty"`
	// Impair is the traffic shaping topo's qdiscs apply on egress, read
	// back from the kernel; nil for none.
	Impair *Impairment `json:"impair,omitempty"`
	// ForeignQdisc is the kind of a root qdisc topo does not make
	// ("sfq", "prio", ...), added by hand; "" for none.
	ForeignQdisc string `json:"foreignQdisc,omitempty"`
	// Bridge holds a bridge's spanning tree setting and timers; nil for
	// other interfaces.
	Bridge *BridgeConf `json:"bridge,omitempty"`
	// VXLAN holds a VXLAN interface's VNI, addresses and port (Site
	// unset); nil for other interfaces.
	VXLAN *Tunnel `json:"vxlan,omitempty"`
}
