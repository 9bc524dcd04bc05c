package topology

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Current is what the planner knows of a lab as it stands.
type Current struct {
	// Applied is the desired state last applied (from the lab's state
	// file); nil for a lab never built.
	Applied *Lab
	// Observed is what the kernel holds now.
	Observed *Observed
	// SysctlOriginal holds, per node, the value each sysctl had before
	// topo first changed it, so removing it from the file restores it.
	// A sysctl with a lab default (NodeDefaults) goes back to that
	// default instead.
	SysctlOriginal map[string]map[string]string
	// Reset plans, beyond the difference, undoing what the observed
	// Leftovers show, and running the exec commands again: the lab
	// ends as a fresh up would make it.
	Reset bool
}

// Diff computes the plan that takes the lab from cur to desired. Pure:
// it reads only its arguments. Steps come sorted by phase (see Op).
func Diff(desired *Lab, cur Current) *Plan {
	d := &differ{desired: desired, cur: cur, plan: &Plan{Lab: desired.Name}}
	if d.cur.Applied == nil {
		d.cur.Applied = &Lab{Name: desired.Name}
	}
	d.want, d.had = desired.NodesByName(), d.cur.Applied.NodesByName()
	if d.cur.Observed == nil {
		d.cur.Observed = &Observed{}
	}
	d.nodes()
	d.links()
	for _, n := range desired.Nodes {
		d.nodeSettings(n)
		if cur.Reset {
			d.reset(n)
		}
	}
	sortSteps(d.plan.Steps)
	return d.plan
}

type differ struct {
	desired *Lab
	cur     Current
	plan    *Plan
	// fresh holds nodes whose namespace this plan creates.
	fresh map[string]bool
	// gone holds nodes whose namespace this plan deletes.
	gone map[string]bool
	// want and had index the desired and the applied lab's nodes.
	want, had map[string]*Node
	// touched holds, per node and interface, why this plan makes the
	// kernel drop the routes through that interface (see touch).
	touched map[string]map[string]string
	// unlinked holds the links (by linkKey) this plan already deletes,
	// and unlinkedEnds their ends ("node:iface").
	unlinked, unlinkedEnds map[string]bool
	// made holds the interfaces ("node:iface") this plan creates or
	// recreates: their own settings start afresh.
	made map[string]bool
	// ifaces indexes the desired interfaces by node (see
	// gatewayIfaces), built on first use.
	ifaces map[string]nodeIfaces
}

func (d *differ) add(s Step) { d.plan.Steps = append(d.plan.Steps, s) }

// touch notes that a step of the plan makes the kernel drop the routes
// through node:iface (the interface is deleted or recreated, its
// address removed, or it goes down or up), so that routes reaches it
// again afterwards. The first reason wins.
func (d *differ) touch(node, iface, why string) {
	if d.touched == nil {
		d.touched = map[string]map[string]string{}
	}
	if d.touched[node] == nil {
		d.touched[node] = map[string]string{}
	}
	if _, ok := d.touched[node][iface]; !ok {
		d.touched[node][iface] = why
	}
}

// madeIface notes that the plan makes e's interface anew.
func (d *differ) madeIface(e Endpoint) {
	if d.made == nil {
		d.made = map[string]bool{}
	}
	d.made[e.String()] = true
}

// deleteLink plans the removal of an existing veth pair once, and
// notes that the routes through its surviving ends are gone.
func (d *differ) deleteLink(l *Link, why string) {
	if d.unlinked == nil {
		d.unlinked, d.unlinkedEnds = map[string]bool{}, map[string]bool{}
	}
	if d.unlinked[linkKey(l)] {
		return
	}
	d.unlinked[linkKey(l)] = true
	d.add(Step{Op: OpDeleteLink, Link: l, Why: why})
	for _, e := range l.Ends {
		d.unlinkedEnds[e.String()] = true
		d.madeIface(e)
		d.touch(e.Node, e.Interface, "link "+l.Ends[0].String()+" <-> "+l.Ends[1].String()+" recreated")
	}
}

func (d *differ) observed(node string) *ObservedNode { return d.cur.Observed.Nodes[node] }

func (d *differ) nodes() {
	d.fresh, d.gone = map[string]bool{}, map[string]bool{}
	for _, old := range d.cur.Applied.Nodes {
		n := d.want[old.Name]
		if n != nil && n.Kind == old.Kind {
			continue
		}
		d.gone[old.Name] = true
		if d.observed(old.Name) != nil {
			why := "removed from file"
			if n != nil {
				why = "changed from " + string(old.Kind) + " to " + string(n.Kind)
			}
			d.add(Step{Op: OpDeleteNode, Node: old.Name, Why: why})
		}
	}
	for _, n := range d.desired.Nodes {
		if d.observed(n.Name) != nil && !d.gone[n.Name] {
			continue
		}
		why := "new"
		if old := d.had[n.Name]; old != nil && old.Kind == n.Kind {
			why = "drift: namespace missing"
		}
		d.fresh[n.Name] = true
		d.add(Step{Op: OpCreateNode, Node: n.Name, Why: why})
	}
}

// linkKey identifies a link by its two endpoints, in either order.
func linkKey(l *Link) string {
	a, b := l.Ends[0].String(), l.Ends[1].String()
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

func (d *differ) links() {
	want := map[string]*Link{}
	for _, l := range d.desired.Links {
		want[linkKey(l)] = l
	}
	had := map[string]*Link{}
	for _, l := range d.cur.Applied.Links {
		had[linkKey(l)] = l
		if l.Tunnel != nil {
			// Its far end is another machine's: only the local
			// interface is this site's to remove. It goes before its
			// node does: a namespace the kernel frees in the background
			// would keep the VNI taken on the machine's port meanwhile.
			switch {
			case !d.endExists(l.Ends[0]):
			case d.gone[l.Ends[0].Node]:
				d.deleteLink(l, "node "+l.Ends[0].Node+" "+d.goneWhy(l.Ends[0].Node))
			case want[linkKey(l)] == nil:
				d.deleteLink(l, "removed from file")
			}
			continue
		}
		goneA, goneB := d.gone[l.Ends[0].Node], d.gone[l.Ends[1].Node]
		switch {
		case goneA && goneB:
			// Both namespaces go, and the pair with them.
		case goneA || goneB:
			// The kernel frees a deleted namespace, and the veth ends
			// it held in other namespaces, in its own time, after
			// delete-node returns: delete the pair now, so that when up
			// returns the surviving end is gone (a synchronous delete
			// costs less than waiting for the namespace's cleanup).
			dead := l.Ends[0].Node
			if goneB {
				dead = l.Ends[1].Node
			}
			if d.endExists(l.Ends[0]) || d.endExists(l.Ends[1]) {
				d.deleteLink(l, "node "+dead+" "+d.goneWhy(dead))
			}
		case want[linkKey(l)] != nil:
		case d.endExists(l.Ends[0]) || d.endExists(l.Ends[1]):
			d.deleteLink(l, "removed from file")
		}
	}
	for _, l := range d.desired.Links {
		d.link(l, had[linkKey(l)])
	}
}

// goneWhy says why a node's namespace goes.
func (d *differ) goneWhy(name string) string {
	if d.want[name] != nil {
		return "replaced"
	}
	return "removed"
}

func (d *differ) endExists(e Endpoint) bool {
	o := d.observed(e.Node)
	return o != nil && o.Ifaces[e.Interface] != nil
}

// link plans one desired link: create it when missing or broken,
// otherwise bring each end's settings in line.
func (d *differ) link(l, old *Link) {
	if l.Tunnel != nil {
		d.tunnel(l, old)
		return
	}
	if d.fresh[l.Ends[0].Node] || d.fresh[l.Ends[1].Node] {
		// An end left in a surviving namespace (its peer's namespace
		// was deleted by hand, or is being replaced) goes first.
		for _, e := range l.Ends {
			if !d.fresh[e.Node] && d.endExists(e) && !d.unlinkedEnds[e.String()] {
				d.deleteLink(l, "drift: peer namespace recreated")
			}
		}
		d.add(Step{Op: OpCreateLink, Link: l, Why: newOr(old != nil, "drift: namespace recreated")})
		return
	}
	a, b := d.observedEnd(l.Ends[0]), d.observedEnd(l.Ends[1])
	switch {
	case a == nil && b == nil:
		d.add(Step{Op: OpCreateLink, Link: l, Why: newOr(old != nil, "drift: link missing")})
		for _, e := range l.Ends {
			d.madeIface(e)
			d.touch(e.Node, e.Interface, "link "+l.Ends[0].String()+" <-> "+l.Ends[1].String()+" made")
		}
		return
	case a == nil || b == nil || a.Kind != "veth" || b.Kind != "veth" || a.PeerIndex != b.Index || b.PeerIndex != a.Index:
		// Half a pair, or ends paired elsewhere: remove what is left.
		d.deleteLink(l, "drift: link broken")
		d.add(Step{Op: OpCreateLink, Link: l, Why: "drift: link broken"})
		return
	}
	for i, o := range []*ObservedIface{a, b} {
		var was *Endpoint
		if old != nil {
			was = endpointOf(old, l.Ends[i])
		}
		d.end(l, l.Ends[i], was, old, o)
	}
}

// observedEnd is the interface of e as the kernel holds it before the
// link steps; nil when it is missing or a link deleted by this plan
// takes it away.
func (d *differ) observedEnd(e Endpoint) *ObservedIface {
	if d.unlinkedEnds[e.String()] {
		return nil
	}
	if o := d.observed(e.Node); o != nil {
		return o.Ifaces[e.Interface]
	}
	return nil
}

func endpointOf(l *Link, e Endpoint) *Endpoint {
	for i := range l.Ends {
		if l.Ends[i].Node == e.Node && l.Ends[i].Interface == e.Interface {
			return &l.Ends[i]
		}
	}
	return nil
}

// end brings one existing interface in line with its endpoint.
func (d *differ) end(l *Link, e Endpoint, was *Endpoint, old *Link, o *ObservedIface) {
	if o.MTU != l.MTU {
		if l.MTU < minIPv6MTU {
			d.touch(e.Node, e.Interface, "mtu below 1280 turns IPv6 off")
		}
		d.add(Step{Op: OpSetMTU, Node: e.Node, Iface: e.Interface, MTU: l.MTU, Why: why(old != nil && old.MTU == l.MTU, "mtu", itoa(o.MTU)+" -> "+itoa(l.MTU))})
	}
	if len(e.MAC) > 0 && !slices.Equal([]byte(e.MAC), []byte(o.MAC)) {
		d.add(Step{Op: OpSetMAC, Node: e.Node, Iface: e.Interface, MAC: []byte(e.MAC), Why: why(was != nil && slices.Equal([]byte(was.MAC), []byte(e.MAC)), "mac", o.MAC.String()+" -> "+e.MAC.String())})
	}
	if d.want[e.Node].Kind == KindSwitch && o.Master != bridgeDevice {
		d.add(Step{Op: OpSetMaster, Node: e.Node, Iface: e.Interface, Why: "drift: port left the bridge"})
	}
	have := map[netip.Prefix]bool{}
	for _, p := range o.Addresses {
		have[p] = true
	}
	want := map[netip.Prefix]bool{}
	for _, p := range e.Addresses {
		want[p] = true
	}
	for _, p := range o.Addresses {
		if !want[p] {
			d.touch(e.Node, e.Interface, "address "+p.String()+" removed")
			d.add(Step{Op: OpDelAddr, Node: e.Node, Iface: e.Interface, Prefix: p, Why: why(was != nil && !slices.Contains(was.Addresses, p), "address", "not in file")})
		}
	}
	for _, p := range e.Addresses {
		if !have[p] {
			d.add(Step{Op: OpAddAddr, Node: e.Node, Iface: e.Interface, Prefix: p, Why: why(was != nil && slices.Contains(was.Addresses, p), "address", "missing")})
		}
	}
	if o.ForeignQdisc != "" {
		d.add(Step{Op: OpSetImpair, Node: e.Node, Iface: e.Interface, Impair: e.Impair, Why: "drift: qdisc " + o.ForeignQdisc + " not made by topo"})
	} else if !e.Impair.Equal(o.Impair) {
		d.add(Step{Op: OpSetImpair, Node: e.Node, Iface: e.Interface, Impair: e.Impair, Why: why(was != nil && was.Impair.Equal(e.Impair), "impair", o.Impair.String()+" -> "+e.Impair.String())})
	}
	if up := !l.Down; o.AdminUp != up {
		d.touch(e.Node, e.Interface, "link set "+stateWord(up))
		d.add(Step{Op: OpSetState, Node: e.Node, Iface: e.Interface, Up: up, Why: why(old != nil && old.Down == l.Down, "state", stateWord(o.AdminUp)+" -> "+stateWord(up))})
	}
}

// nodeSettings plans routes, sysctls, STP, lo and exec for one node.
func (d *differ) nodeSettings(n *Node) {
	old := d.had[n.Name]
	if old != nil && old.Kind != n.Kind {
		old = nil
	}
	o := d.observed(n.Name)
	if d.fresh[n.Name] {
		// Read-only: sysctls never writes to o.Sysctls.
		o = &ObservedNode{LoopbackUp: true, Sysctls: defaultValues[n.Kind]}
	}
	if o == nil {
		return
	}
	if !o.LoopbackUp {
		d.add(Step{Op: OpSetState, Node: n.Name, Iface: "lo", Up: true, Why: "drift: lo down"})
	}
	if n.Kind == KindSwitch && !d.fresh[n.Name] {
		d.bridge(n, old, o.Ifaces[bridgeDevice])
	}
	d.routes(n, old, o)
	d.sysctls(n, old, o)
	if len(n.Exec) > 0 && (d.fresh[n.Name] || old == nil || !slices.Equal(old.Exec, n.Exec)) {
		d.add(Step{Op: OpRunExec, Node: n.Name, Why: newOr(old != nil && !d.fresh[n.Name], "changed: exec")})
	}
	if n.Kind == KindHost {
		d.services(n, old)
	}
}

// bridge plans a switch's bridge: made again when missing, its
// settings, state and addresses (a switch has none) as topo makes them.
func (d *differ) bridge(n, old *Node, br *ObservedIface) {
	want := BridgeConfOf(n)
	if br == nil {
		d.add(Step{Op: OpCreateBridge, Node: n.Name, Bridge: &want, Why: "drift: bridge missing"})
		return
	}
	if br.Bridge != nil && !want.matches(*br.Bridge) {
		unchanged := old != nil && BridgeConfOf(old) == want
		d.add(Step{Op: OpSetBridge, Node: n.Name, Bridge: &want, Why: why(unchanged, "bridge", want.changes(*br.Bridge))})
	}
	if !br.AdminUp {
		d.add(Step{Op: OpSetState, Node: n.Name, Iface: bridgeDevice, Up: true, Why: "drift: bridge down"})
	}
	if br.ForeignQdisc != "" {
		d.add(Step{Op: OpSetImpair, Node: n.Name, Iface: bridgeDevice, Why: "drift: qdisc " + br.ForeignQdisc + " not made by topo"})
	}
	for _, p := range br.Addresses {
		d.add(Step{Op: OpDelAddr, Node: n.Name, Iface: bridgeDevice, Prefix: p, Why: "drift: address not in file"})
	}
}

// sysctls plans the sysctls of one node: forwarding first (writing it
// also resets conf.all.accept_redirects, modelled here), then the
// file's own in key order. A key the file no longer sets goes back to
// its lab default (NodeDefaults) if it has one, else to the value it
// had before topo first set it.
func (d *differ) sysctls(n, old *Node, o *ObservedNode) {
	want := EffectiveSysctls(n)
	was := EffectiveSysctls(old)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	SortSysctls(keys)
	// reset is conf.all.accept_redirects once a planned ip_forward
	// write has reset it, else "".
	var reset string
	have := func(k string) (string, bool) {
		if k == sysctlAcceptRedirectsAll && reset != "" {
			return reset, true
		}
		if iface := sysctlIface(k); iface != "" && d.made[n.Name+":"+iface] {
			return "", false // the interface starts afresh
		}
		v, ok := o.Sysctls[k]
		return v, ok
	}
	for _, k := range keys {
		if cur, ok := have(k); !ok || cur != want[k] {
			reason := why(was != nil && was[k] == want[k], "sysctl", cur+" -> "+want[k])
			d.add(Step{Op: OpSetSysctl, Node: n.Name, Key: k, Value: want[k], Why: newOr(old != nil && !d.fresh[n.Name], reason)})
			if k == SysctlForwardV4 {
				reset = redirectsFor(want[k])
			}
		}
	}
	var gone []string
	for k := range was {
		if _, still := want[k]; !still {
			gone = append(gone, k)
		}
	}
	owned := ownedDefaults(n)
	for _, k := range sortedKeys(owned) {
		if _, wasSet := was[k]; wasSet {
			continue // removed from the file: below
		}
		if cur, ok := o.Sysctls[k]; ok && cur != owned[k] {
			d.add(Step{Op: OpSetSysctl, Node: n.Name, Key: k, Value: owned[k], Why: "drift: sysctl " + cur + " -> " + owned[k] + ", the lab default"})
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		to, known := NodeDefault(n.Kind, k)
		if k == sysctlAcceptRedirectsAll && known {
			to = redirectsFor(want[SysctlForwardV4]) // what a fresh build ends with
		}
		reason := "removed from file: lab default " + to
		if !known {
			to, known = d.cur.SysctlOriginal[n.Name][k]
			reason = "removed from file: restore " + to
		}
		if cur, ok := have(k); known && (!ok || cur != to) {
			d.add(Step{Op: OpSetSysctl, Node: n.Name, Key: k, Value: to, Why: reason})
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sysctlIface is the interface a setting of one interface belongs to
// (net.ipv4.conf.eth0.rp_filter: eth0); "" for any other setting.
func sysctlIface(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) < 5 || parts[0] != "net" || parts[1] != "ipv4" && parts[1] != "ipv6" || parts[2] != "conf" && parts[2] != "neigh" {
		return ""
	}
	switch parts[3] {
	case "all", "default":
		return ""
	}
	return parts[3]
}

// SortSysctls puts keys in the order topo writes them: forwarding
// first (a changed ip_forward resets other settings), then by name.
func SortSysctls(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		if fi, fj := isForwarding(keys[i]), isForwarding(keys[j]); fi != fj {
			return fi
		}
		return keys[i] < keys[j]
	})
}

func isForwarding(key string) bool { return key == SysctlForwardV4 || key == SysctlForwardV6 }

// redirectsFor is the conf.all.accept_redirects the kernel sets when
// ip_forward becomes forward: "0" for a router, "1" otherwise.
func redirectsFor(forward string) string {
	if forward == "0" {
		return "1"
	}
	return "0"
}

// why explains a step: a change in the file, or drift when the file
// did not change but the kernel did.
func why(unchangedInFile bool, what, detail string) string {
	if unchangedInFile {
		return "drift: " + what + " " + detail
	}
	return "changed: " + what + " " + detail
}

// newOr is "new" for an object the last apply did not have, and
// otherwise the given reason.
func newOr(existed bool, reason string) string {
	if existed {
		return reason
	}
	return "new"
}

func stateWord(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func sortSteps(steps []Step) {
	sort.SliceStable(steps, func(i, j int) bool { return phase(steps[i].Op) < phase(steps[j].Op) })
}

func itoa(n int) string { return strconv.Itoa(n) }
