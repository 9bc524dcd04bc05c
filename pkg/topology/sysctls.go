package topology

import "sort"

// The sysctls behind `forward: true`.
const (
	SysctlForwardV4 = "net.ipv4.ip_forward"
	SysctlForwardV6 = "net.ipv6.conf.all.forwarding"
)

// EffectiveSysctls is every sysctl topo manages on a host: forwarding
// (on or off, always) and the file's own sysctls, which win. Switches
// have none.
func EffectiveSysctls(n *Node) map[string]string {
	if n == nil || n.Kind != KindHost {
		return nil
	}
	fwd := "0"
	if n.Forward {
		fwd = "1"
	}
	out := map[string]string{SysctlForwardV4: fwd, SysctlForwardV6: fwd}
	for k, v := range n.Sysctls {
		out[k] = v
	}
	return out
}

// SysctlKeys lists, sorted, the sysctls the planner needs observed on a
// node: those desired now and those set by the last applied state.
func SysctlKeys(desired, applied *Node) []string {
	set := map[string]bool{}
	for k := range EffectiveSysctls(desired) {
		set[k] = true
	}
	for k := range EffectiveSysctls(applied) {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
