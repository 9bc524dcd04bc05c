package topology

import (
	"slices"
	"sort"
	"strconv"
)

// reset plans undoing what a node's Leftovers show — processes killed,
// settings topo does not own put back to a fresh node's, neighbour
// tables emptied — and its exec commands run again, so that the node
// ends as a fresh up would make it. A node this plan creates is fresh
// already.
func (d *differ) reset(n *Node) {
	o := d.observed(n.Name)
	if d.fresh[n.Name] || o == nil || o.Leftovers == nil {
		return
	}
	left := o.Leftovers
	if left.Processes > 0 {
		d.add(Step{Op: OpKillProcs, Node: n.Name, Why: "reset: " + plural(left.Processes, "process", "processes") + " running"})
	}
	ifaces := d.fileIfaces(n)
	for _, name := range sortedIfaces(o) {
		if !ifaces[name] {
			d.add(Step{Op: OpDeleteIface, Node: n.Name, Iface: name, Why: "reset: not in file"})
		}
	}
	keys := make([]string, 0, len(left.Sysctls))
	for k := range left.Sysctls {
		if !ownsSysctl(n, k) && (sysctlIface(k) == "" || ifaces[sysctlIface(k)]) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := left.Sysctls[k]
		d.add(Step{Op: OpResetSysctl, Node: n.Name, Key: k, Value: v[1], Why: "reset: was " + v[0]})
	}
	if left.Neighbours > 0 {
		d.add(Step{Op: OpFlushNeigh, Node: n.Name, Why: "reset: " + plural(left.Neighbours, "entry", "entries")})
	}
	if len(n.Exec) > 0 && !slices.ContainsFunc(d.plan.Steps, func(s Step) bool { return s.Op == OpRunExec && s.Node == n.Name }) {
		d.add(Step{Op: OpRunExec, Node: n.Name, Why: "reset: run again"})
	}
}

// ownsSysctl reports a setting the ordinary plan already keeps as the
// file and the lab defaults say (see sysctls).
func ownsSysctl(n *Node, key string) bool {
	if _, ok := EffectiveSysctls(n)[key]; ok {
		return true
	}
	if _, ok := ownedDefaults(n)[key]; ok {
		return true
	}
	return followsForwarding(key)
}

// fileIfaces is the set of interfaces the file gives node n (a switch's
// bridge and lo included).
func (d *differ) fileIfaces(n *Node) map[string]bool {
	out := map[string]bool{"lo": true}
	if n.Kind == KindSwitch {
		out[bridgeDevice] = true
	}
	for _, l := range d.desired.Links {
		for _, e := range l.Ends {
			if e.Node == n.Name {
				out[e.Interface] = true
			}
		}
	}
	return out
}

// sortedIfaces lists the names of o's interfaces, sorted.
func sortedIfaces(o *ObservedNode) []string {
	out := make([]string, 0, len(o.Ifaces))
	for name := range o.Ifaces {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// plural is "1 process", "2 processes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
