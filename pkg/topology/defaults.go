package topology

// Sysctl is one sysctl setting: its dotted key and value.
type Sysctl struct {
	Key, Value string
}

// The IPv4 forwarding side effect the planner models (see Diff): the
// kernel sets conf.all.accept_redirects to the opposite of every new
// ip_forward value (net/ipv4/devinet.c, inet_forward_change).
const sysctlAcceptRedirectsAll = "net.ipv4.conf.all.accept_redirects"

// nodeDefaults are written in every node, switches included.
var nodeDefaults = []Sysctl{
	// Addresses are unique by validation, so duplicate address
	// detection only delays IPv6 (a router's link-local address stays
	// tentative for a second or two): off for every interface the
	// node will have.
	{"net.ipv6.conf.default.accept_dad", "0"},
	// topo sets addresses and routes itself, and no router in a lab
	// advertises unless the user runs a daemon for it; the kernel's
	// endless solicitations (to ff02::2, which every switch floods to
	// every port) only load a large flat LAN to the point of dropping
	// frames. Advertisements are still accepted.
	{"net.ipv6.conf.default.router_solicitations", "0"},
	// A link set down is a cable pulled: its IPv6 addresses stay, as
	// they do when the carrier goes (the kernel otherwise flushes them
	// on an administrative down, and the routes through them could not
	// come back with the link). Not the kernel's 0.
	{"net.ipv6.conf.all.keep_addr_on_down", "1"},
}

// hostDefaults are written in every host after nodeDefaults. A new
// namespace copies the IPv4 "all" and "default" settings of the root
// namespace (net.core.devconf_inherit_init_net = 0, the kernel's
// default), so without them a Docker host (ip_forward = 1) would make
// every host a router and a machine with rp_filter = 1 would drop
// asymmetric routes. The values are the kernel's own for a namespace
// that inherits nothing (ipv4_devconf and ipv4_devconf_dflt in
// net/ipv4/devinet.c; IPv6 forwarding in net/ipv6/addrconf.c), except
// where a comment says otherwise. "default" is what interfaces made
// later (the lab's veths) start from; for most settings the kernel
// then combines "all" with the interface's own value, so both are set.
var hostDefaults = concat(
	// Forwarding first: a changed ip_forward also resets
	// conf.all.accept_redirects, which follows. Writing ip_forward
	// updates conf.default.forwarding only when the value changes, so
	// that is written too; the same holds for IPv6.
	[]Sysctl{
		{SysctlForwardV4, "0"},
		{"net.ipv4.conf.default.forwarding", "0"},
		{SysctlForwardV6, "0"},
		{"net.ipv6.conf.default.forwarding", "0"},
	},
	ipv4Conf("rp_filter", "0", "0"),
	ipv4Conf("accept_redirects", "1", "1"),
	ipv4Conf("secure_redirects", "1", "1"),
	ipv4Conf("send_redirects", "1", "1"),
	// The kernel's own pair: "default" is 1, but a source-routed
	// packet is accepted only when "all" says so too.
	ipv4Conf("accept_source_route", "0", "1"),
	ipv4Conf("route_localnet", "0", "0"),
	ipv4Conf("proxy_arp", "0", "0"),
	ipv4Conf("arp_filter", "0", "0"),
	ipv4Conf("arp_ignore", "0", "0"),
	ipv4Conf("arp_announce", "0", "0"),
	ipv4Conf("arp_accept", "0", "0"),
	ipv4Conf("arp_notify", "0", "0"),
	// Not the kernel's 0: with it, deleting an interface's first
	// address of a subnet deletes the others in that subnet too, and
	// `up` could not remove one address of several and keep the rest
	// (systemd's defaults set it the same way).
	ipv4Conf("promote_secondaries", "0", "1"),
)

// ipv4Conf is one net.ipv4.conf setting for "all" and for "default".
func ipv4Conf(name, all, dflt string) []Sysctl {
	return []Sysctl{{"net.ipv4.conf.all." + name, all}, {"net.ipv4.conf.default." + name, dflt}}
}

func concat(parts ...[]Sysctl) []Sysctl {
	var out []Sysctl
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	hostSysctls   = concat(nodeDefaults, hostDefaults)
	defaultValues = map[NodeKind]map[string]string{
		KindHost:   valuesOf(hostSysctls),
		KindSwitch: valuesOf(nodeDefaults),
	}
)

func valuesOf(s []Sysctl) map[string]string {
	m := make(map[string]string, len(s))
	for _, x := range s {
		m[x.Key] = x.Value
	}
	return m
}

// NodeDefaults lists, in the order they must be written, the sysctls
// topo writes in the namespace of a new node of the given kind before
// anything is made in it, whatever the machine's root namespace holds.
// Diff assumes them for the nodes it creates, and restores one of them
// to its value here when the file stops setting it. The slice is
// shared: do not modify it.
func NodeDefaults(kind NodeKind) []Sysctl {
	if kind == KindHost {
		return hostSysctls
	}
	return nodeDefaults
}

// NodeDefault is the value NodeDefaults gives key for a node of the
// given kind, if it lists key.
func NodeDefault(kind NodeKind, key string) (string, bool) {
	v, ok := defaultValues[kind][key]
	return v, ok
}
