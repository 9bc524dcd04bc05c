package capture

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Selection is what to capture in one node's namespace.
type Selection struct {
	// Node is the lab node.
	Node string
	// Switch is set for a switch: its bridge device is not one of its
	// ports, so All leaves it out.
	Switch bool
	// All selects every interface but lo, also those that appear later.
	All bool
	// Ifaces are the interfaces selected by name (when not All), sorted.
	Ifaces []string
}

// Wants reports whether the selection takes the interface named iface.
func (s *Selection) Wants(iface string) bool {
	if s.All {
		return iface != "lo" && !(s.Switch && iface == bridgeDevice)
	}
	return slices.Contains(s.Ifaces, iface)
}

// bridgeDevice is the bridge in a switch's namespace (node.BridgeName).
const bridgeDevice = "br0"

// LinkPrefix starts a target that names a link by one of its ends:
// "link:h1:eth0" captures h1:eth0 and the interface at its other end.
const LinkPrefix = "link:"

// Resolve turns the targets of `topo capture` into one selection per
// node, in the order the nodes are first named: "NODE" (every
// interface of a host, every port of a switch), "NODE:IFACE",
// "link:NODE:IFACE" (both ends of the link), and with all every
// interface of every host. An interface the lab does not know is
// accepted when exists says the node has it now (one a user added);
// exists may be nil. Every target that names nothing is reported, one
// line each.
func Resolve(l *topology.Lab, targets []string, all bool, exists func(node, iface string) bool) ([]Selection, error) {
	r := &resolver{lab: l, nodes: l.NodesByName(), by: map[string]*Selection{}, exists: exists}
	if all {
		for _, n := range l.Nodes {
			if n.Kind == topology.KindHost {
				r.add(n.Name, "")
			}
		}
	}
	for _, t := range targets {
		r.target(t)
	}
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	out := make([]Selection, 0, len(r.order))
	for _, n := range r.order {
		s := r.by[n]
		sort.Strings(s.Ifaces)
		out = append(out, *s)
	}
	return out, nil
}

type resolver struct {
	lab    *topology.Lab
	nodes  map[string]*topology.Node
	by     map[string]*Selection
	order  []string
	exists func(node, iface string) bool
	errs   []error
}

func (r *resolver) target(t string) {
	if rest, ok := strings.CutPrefix(t, LinkPrefix); ok && strings.Contains(rest, ":") {
		r.link(rest)
		return
	}
	node, iface, named := strings.Cut(t, ":")
	n := r.nodes[node]
	switch {
	case n == nil:
		r.errorf("lab %s has no node %q (nodes: %s)", r.lab.Name, node, list(r.nodeNames()))
	case !named:
		r.add(node, "")
	case iface == "":
		r.errorf("%q names no interface: write NODE:IFACE, e.g. %s:%s", t, node, first(r.ifaceNames(node), "eth0"))
	case slices.Contains(r.ifaceNames(node), iface) || iface == "lo" || r.exists != nil && r.exists(node, iface):
		r.add(node, iface)
	default:
		r.errorf("node %s has no interface %q (interfaces: %s)", node, iface, list(r.ifaceNames(node)))
	}
}

// link adds both ends of the link with end "node:iface", that one
// first; of a link to another site, its local end.
func (r *resolver) link(end string) {
	node, iface, _ := strings.Cut(end, ":")
	for _, lk := range r.lab.Links {
		for i, e := range lk.Ends {
			if e.Node == node && e.Interface == iface {
				if lk.Tunnel != nil {
					// The far end is on another site's machine: the
					// tunnel's local end sees every frame of the link.
					r.add(lk.Ends[0].Node, lk.Ends[0].Interface)
					return
				}
				r.add(e.Node, e.Interface)
				r.add(lk.Ends[1-i].Node, lk.Ends[1-i].Interface)
				return
			}
		}
	}
	r.errorf("lab %s has no link with end %s (write %sNODE:IFACE with an interface `topo status` shows)", r.lab.Name, end, LinkPrefix)
}

// add selects iface of node, or all its interfaces for "".
func (r *resolver) add(node, iface string) {
	s := r.by[node]
	if s == nil {
		s = &Selection{Node: node, Switch: r.nodes[node].Kind == topology.KindSwitch}
		r.by[node] = s
		r.order = append(r.order, node)
	}
	switch {
	case iface == "":
		s.All, s.Ifaces = true, nil
	case !s.All && !slices.Contains(s.Ifaces, iface):
		s.Ifaces = append(s.Ifaces, iface)
	}
}

func (r *resolver) errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

func (r *resolver) nodeNames() []string {
	var out []string
	for _, n := range r.lab.Nodes {
		out = append(out, n.Name)
	}
	return out
}

func (r *resolver) ifaceNames(node string) []string {
	var out []string
	for _, e := range r.lab.Interfaces(node) {
		out = append(out, e.Interface)
	}
	return out
}

// list joins names for a message, at most ten of them.
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + ", ..."
	}
	return strings.Join(names, ", ")
}

func first(names []string, otherwise string) string {
	if len(names) > 0 {
		return names[0]
	}
	return otherwise
}

// LabHosts resolves node names to their addresses in l, for the
// filter's "host NODE".
func LabHosts(l *topology.Lab) HostFunc {
	return func(name string) ([]netip.Addr, bool) {
		if l.Node(name) == nil {
			return nil, false
		}
		var out []netip.Addr
		for _, p := range l.Addresses(name) {
			out = append(out, p.Addr())
		}
		return out, true
	}
}
