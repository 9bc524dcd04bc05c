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
	owned := EffectiveSysctls(n)
	keys := make([]string, 0, len(left.Sysctls))
	for k := range left.Sysctls {
		if _, ok := owned[k]; !ok {
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

// plural is "1 process", "2 processes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
