package topology

// tunnel plans the local end of a link to another site: a VXLAN
// interface, made when missing, made again when its VNI, addresses or
// port are not the link's (the kernel does not change them in place),
// otherwise brought in line like a veth end.
func (d *differ) tunnel(l, old *Link) {
	e := l.Ends[0]
	made := "tunnel " + e.String() + " made"
	if d.fresh[e.Node] {
		d.add(Step{Op: OpCreateTunnel, Link: l, Why: newOr(old != nil, "drift: namespace recreated")})
		return
	}
	o := d.observedEnd(e)
	switch {
	case o == nil:
		d.add(Step{Op: OpCreateTunnel, Link: l, Why: newOr(old != nil, "drift: tunnel missing")})
	case o.Kind != "vxlan" || o.VXLAN == nil || !sameTunnel(*o.VXLAN, *l.Tunnel):
		reason := "drift: " + e.String() + " is not the tunnel"
		if old != nil && old.Tunnel != nil && !sameTunnel(*old.Tunnel, *l.Tunnel) {
			reason = "changed: tunnel " + tunnelWords(*old.Tunnel) + " -> " + tunnelWords(*l.Tunnel)
		} else if o.VXLAN != nil {
			reason = "drift: tunnel " + tunnelWords(*o.VXLAN) + " -> " + tunnelWords(*l.Tunnel)
		}
		d.add(Step{Op: OpDeleteIface, Node: e.Node, Iface: e.Interface, Why: reason})
		d.add(Step{Op: OpCreateTunnel, Link: l, Why: reason})
	default:
		var was *Endpoint
		if old != nil {
			was = endpointOf(old, e)
		}
		d.end(l, e, was, old, o)
		return
	}
	d.madeIface(e)
	d.touch(e.Node, e.Interface, made)
}

// sameTunnel compares what the kernel keeps of a VXLAN interface.
func sameTunnel(a, b Tunnel) bool {
	return a.VNI == b.VNI && a.Local == b.Local && a.Remote == b.Remote && a.Port == b.Port
}

func tunnelWords(t Tunnel) string {
	return "vni " + itoa(t.VNI) + " to " + t.Remote.String() + ":" + itoa(t.Port)
}
