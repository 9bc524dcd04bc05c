package topology

import "slices"

// The ways a node's own client may address an interface (addresses:
// dhcp, dhcp6, slaac).
const (
	DynDHCP  = "dhcp"
	DynDHCP6 = "dhcp6"
	DynSLAAC = "slaac"
)

func isDynamicWord(s string) bool { return s == DynDHCP || s == DynDHCP6 || s == DynSLAAC }

// DynamicFor reports whether the end's addresses of one family come
// from the node's client rather than from the file.
func (e *Endpoint) DynamicFor(v4 bool) bool {
	for _, d := range e.Dynamic {
		if (d == DynDHCP) == v4 {
			return true
		}
	}
	return false
}

// dynamic records one addresses: word of an end.
func (b *builder) dynamic(t text, e *Endpoint) {
	if n := b.nodes[e.Node]; n != nil && n.Kind == KindSwitch {
		b.errorf(t.at, "put it on the host end of the link", "switch %s: a switch end takes no address, dynamic or not", e.Node)
		return
	}
	if slices.Contains(e.Dynamic, t.s) {
		b.errorf(t.at, "remove one of them", "%s: %s is given twice", e, t.s)
		return
	}
	if t.s != DynDHCP && e.DynamicFor(false) {
		b.errorf(t.at, "use dhcp6 or slaac for IPv6, not both", "%s: IPv6 addresses from both dhcp6 and slaac", e)
		return
	}
	e.Dynamic = append(e.Dynamic, t.s)
}

// checkDynamic refuses an end with both a written address and a client
// for the same family; after addressing.
func (b *builder) checkDynamic() {
	for _, li := range b.links {
		if !li.ok {
			continue
		}
		for i, e := range li.link.Ends {
			for k, p := range e.Addresses {
				if e.DynamicFor(p.Addr().Is4()) {
					b.errorf(li.addrPos(i, k), "give the family either an address or a client (dhcp, dhcp6, slaac), not both", "%s: address %s, but its %s addresses come from %s", e, p, family(p.Addr().Is4()), dynWord(e, p.Addr().Is4()))
				}
			}
		}
	}
}

func dynWord(e Endpoint, v4 bool) string {
	for _, d := range e.Dynamic {
		if (d == DynDHCP) == v4 {
			return d
		}
	}
	return ""
}

// HasDynamic reports whether any end of the lab takes its addresses
// from a client.
func (l *Lab) HasDynamic() bool {
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if len(e.Dynamic) > 0 {
				return true
			}
		}
	}
	return false
}

// dynamicNode reports whether a node has an end addressed by a client.
func (b *builder) dynamicNode(name string) bool {
	for _, li := range b.links {
		for _, e := range li.link.Ends {
			if e.Node == name && len(e.Dynamic) > 0 {
				return true
			}
		}
	}
	return false
}
