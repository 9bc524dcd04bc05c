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

// ownedDefaults are the lab defaults (NodeDefaults) a node keeps as
// they are after it is built, so that a change by hand is drift: every
// default the node's own settings (EffectiveSysctls) do not override,
// except those the kernel changes itself when forwarding is set
// (forwarding of "default", conf.all.accept_redirects).
//
// The map of a node that sets no sysctl of its own is shared by every
// such node of its kind: read-only.
func ownedDefaults(n *Node) map[string]string {
	if n == nil {
		return nil
	}
	if len(n.Sysctls) == 0 {
		if m, ok := plainOwned[n.Kind]; ok {
			return m
		}
	}
	return ownedDefaultsOf(n)
}

// plainOwned is ownedDefaults of a node of each kind that sets no
// sysctl of its own: the same for every one (forwarding on or off sets
// the same keys).
var plainOwned = map[NodeKind]map[string]string{
	KindHost:   ownedDefaultsOf(&Node{Kind: KindHost}),
	KindSwitch: ownedDefaultsOf(&Node{Kind: KindSwitch}),
}

func ownedDefaultsOf(n *Node) map[string]string {
	set := EffectiveSysctls(n)
	out := map[string]string{}
	for _, d := range NodeDefaults(n.Kind) {
		if _, ok := set[d.Key]; ok || followsForwarding(d.Key) {
			continue
		}
		out[d.Key] = d.Value
	}
	return out
}

// followsForwarding reports a setting the kernel rewrites when
// forwarding changes.
func followsForwarding(key string) bool {
	switch key {
	case SysctlForwardV4, SysctlForwardV6, sysctlAcceptRedirectsAll,
		"net.ipv4.conf.default.forwarding", "net.ipv6.conf.default.forwarding":
		return true
	}
	return false
}

// SysctlKeys lists, sorted, the sysctls the planner needs observed on a
// node: those desired now, those set by the last applied state, and
// the lab defaults it keeps (see ownedDefaults).
//
// The slice is shared by every node that sets no sysctl of its own
// and was, if applied before, of the same kind and no sysctls either:
// read-only.
func SysctlKeys(desired, applied *Node) []string {
	if desired != nil && len(desired.Sysctls) == 0 &&
		(applied == nil || applied.Kind == desired.Kind && len(applied.Sysctls) == 0) {
		if keys, ok := plainKeys[desired.Kind]; ok {
			return keys
		}
	}
	return sysctlKeysOf(desired, applied)
}

// plainKeys is SysctlKeys of a node of each kind that sets no sysctl of
// its own (the same keys for any such node).
var plainKeys = map[NodeKind][]string{
	KindHost:   sysctlKeysOf(&Node{Kind: KindHost}, nil),
	KindSwitch: sysctlKeysOf(&Node{Kind: KindSwitch}, nil),
}

func sysctlKeysOf(desired, applied *Node) []string {
	set := map[string]bool{}
	for k := range ownedDefaults(desired) {
		set[k] = true
	}
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
