package topology

import "net/netip"

// Routing holds the lab-wide dynamic routing settings (routing:).
type Routing struct {
	// OSPF, when set, makes every router (forward: true, not ospf:
	// false) run OSPF on its links: v2 for IPv4, v3 for IPv6.
	OSPF *OSPFTimers `json:"ospf,omitempty"`
}

// OSPFTimers are the lab's OSPF hello and dead intervals in seconds;
// 0 keeps FRR's default (10 and 40).
type OSPFTimers struct {
	Hello int `json:"hello,omitempty"`
	Dead  int `json:"dead,omitempty"`
}

// LinkOSPF is a link's OSPF area and cost.
type LinkOSPF struct {
	// Area is a dotted quad or a number as written; "" is area 0.
	Area string `json:"area,omitempty"`
	// Cost is the interface cost; 0 keeps FRR's (from the bandwidth).
	Cost int `json:"cost,omitempty"`
}

// BGP is a router's BGP speaker (bgp:).
type BGP struct {
	ASN uint32 `json:"asn"`
	// Advertise lists the prefixes announced; nil announces the
	// subnets towards the router's hosts.
	Advertise []netip.Prefix `json:"advertise,omitempty"`
	// IBGP makes the router one of its ASN's full iBGP mesh: a session
	// with every other router of the ASN that sets it too.
	IBGP     bool       `json:"ibgp,omitempty"`
	RouterID netip.Addr `json:"router_id,omitzero"`
}

// RunsOSPF reports whether node n takes part in the lab's OSPF.
func (l *Lab) RunsOSPF(n *Node) bool {
	return l.Routing != nil && l.Routing.OSPF != nil && n.Kind == KindHost && n.Forward && !n.NoOSPF
}

// RunsFRR reports whether node n runs FRR (OSPF or BGP).
func (l *Lab) RunsFRR(n *Node) bool { return l.RunsOSPF(n) || n.BGP != nil }

// NeedsFRR reports whether any node of the lab runs FRR.
func (l *Lab) NeedsFRR() bool {
	for _, n := range l.Nodes {
		if l.RunsFRR(n) {
			return true
		}
	}
	return false
}
