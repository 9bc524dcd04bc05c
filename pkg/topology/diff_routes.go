package topology

import (
	"net/netip"
	"sort"
	"strings"
)

// minIPv6MTU is the smallest MTU IPv6 runs on: below it the kernel
// turns IPv6 off on the interface, with its addresses and routes.
const minIPv6MTU = 1280

// routes plans one node's routes. The kernel drops the routes through
// an interface when it is deleted, goes down, or loses its last
// address of the gateway's subnet, and takes no route through an
// interface that is down. So, beyond adding what is missing and
// removing what the file does not list (routes made by hand included),
// it adds again the routes through every interface this plan touches
// (see touch), and holds back, with a note, the routes whose gateway
// is reached only through links the file sets down.
func (d *differ) routes(n, old *Node, o *ObservedNode) {
	want := map[string]bool{}
	for _, r := range n.Routes {
		want[r.key()] = true
	}
	have := map[string]bool{}
	for _, r := range o.Routes {
		have[r.key()] = true
		if want[r.key()] {
			continue
		}
		reason := why(old != nil && !hasRoute(old.Routes, r), "route", "not in file")
		if r.Proto != 0 {
			reason = "drift: route not made by topo"
		}
		d.add(Step{Op: OpDelRoute, Node: n.Name, Route: r, Why: reason})
	}
	ifaces := d.gatewayIfaces(n.Name)
	for _, r := range n.Routes {
		through := ifaces.reaching(r)
		if down := ifaces.allDown(n.Name, through); down != "" {
			d.plan.Notes = append(d.plan.Notes, n.Name+" route "+r.String()+": held while "+down+" is down (the kernel takes no route through a down link)")
			continue
		}
		switch {
		case !have[r.key()]:
			reason := why(old != nil && hasRoute(old.Routes, r), "route", "missing")
			d.add(Step{Op: OpAddRoute, Node: n.Name, Route: r, Why: newOr(old != nil && !d.fresh[n.Name], reason)})
		case d.touchedAny(n.Name, through) != "":
			d.add(Step{Op: OpAddRoute, Node: n.Name, Route: r, Why: "again: " + d.touchedAny(n.Name, through)})
		}
	}
}

// touchedAny is why the plan drops routes through one of ifaces of
// node; "" when it does not.
func (d *differ) touchedAny(node string, ifaces []string) string {
	for _, i := range ifaces {
		if why := d.touched[node][i]; why != "" {
			return why
		}
	}
	return ""
}

func hasRoute(rs []Route, r Route) bool {
	for _, x := range rs {
		if x.key() == r.key() {
			return true
		}
	}
	return false
}

// nodeIfaces is what the file gives one node's interfaces: their
// subnets and whether their link is set down.
type nodeIfaces map[string]*fileIface

type fileIface struct {
	addresses []netip.Prefix
	down      bool
}

// gatewayIfaces collects the desired interfaces of a node. The links
// are indexed by node once per plan: scanning them for every node made
// a plan of 11,000 nodes quadratic. Empty (not nil) for a node without
// links.
func (d *differ) gatewayIfaces(node string) nodeIfaces {
	if d.ifaces == nil {
		d.ifaces = map[string]nodeIfaces{}
		for _, l := range d.desired.Links {
			for _, e := range l.Ends {
				ifs := d.ifaces[e.Node]
				if ifs == nil {
					ifs = nodeIfaces{}
					d.ifaces[e.Node] = ifs
				}
				ifs[e.Interface] = &fileIface{addresses: e.Addresses, down: l.Down}
			}
		}
	}
	if ifs := d.ifaces[node]; ifs != nil {
		return ifs
	}
	return nodeIfaces{}
}

// reaching lists, sorted, the interfaces whose subnets hold r's gateway.
func (ifs nodeIfaces) reaching(r Route) []string {
	var out []string
	for name, i := range ifs {
		for _, p := range i.addresses {
			if p.Masked().Contains(r.Via) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// allDown names the interfaces ("node:iface, ...") when every one of
// them is set down in the file; "" when one is up or there are none.
func (ifs nodeIfaces) allDown(node string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	var out []string
	for _, n := range names {
		if !ifs[n].down {
			return ""
		}
		out = append(out, node+":"+n)
	}
	return strings.Join(out, ", ")
}
