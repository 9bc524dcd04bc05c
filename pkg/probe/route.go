package probe

import "net/netip"

// Route is how a node's kernel would send to a destination: out of which
// interface, from which source address, via which gateway.
type Route struct {
	// Dst is the destination looked up.
	Dst netip.Addr `json:"dst"`
	// Iface and Index name the output interface inside the node.
	Iface string `json:"iface"`
	Index int    `json:"-"`
	// Src is the source address the kernel would choose.
	Src netip.Addr `json:"src"`
	// Gateway is the next-hop router; invalid when Dst is on-link.
	Gateway netip.Addr `json:"gateway,omitzero"`
}

// NextHop is the address whose MAC the frames go to: the gateway, or
// the destination itself when it is on-link.
func (r Route) NextHop() netip.Addr {
	if r.Gateway.IsValid() {
		return r.Gateway
	}
	return r.Dst
}
