package node

import (
	"testing"

	"github.com/vishvananda/netlink"
)

func TestNeighState(t *testing.T) {
	for s, want := range map[int]string{
		0: "none", netlink.NUD_REACHABLE: "reachable", netlink.NUD_STALE: "stale",
		netlink.NUD_PERMANENT: "permanent", netlink.NUD_PERMANENT | netlink.NUD_NOARP: "permanent",
		netlink.NUD_INCOMPLETE: "incomplete", netlink.NUD_FAILED: "failed",
	} {
		if got := NeighState(s); got != want {
			t.Errorf("NeighState(%#x) = %q, want %q", s, got, want)
		}
	}
}
