package node

import "github.com/vishvananda/netlink"

// NeighState names a neighbour entry's state (netlink.Neigh.State) as
// `ip neigh` does, in lower case: the strongest state set, "none" when
// none is.
func NeighState(s int) string {
	for _, n := range []struct {
		bit  int
		name string
	}{
		{netlink.NUD_PERMANENT, "permanent"}, {netlink.NUD_NOARP, "noarp"},
		{netlink.NUD_REACHABLE, "reachable"}, {netlink.NUD_STALE, "stale"},
		{netlink.NUD_DELAY, "delay"}, {netlink.NUD_PROBE, "probe"},
		{netlink.NUD_FAILED, "failed"}, {netlink.NUD_INCOMPLETE, "incomplete"},
	} {
		if s&n.bit != 0 {
			return n.name
		}
	}
	return "none"
}
