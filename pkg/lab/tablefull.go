package lab

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/probe"
)

// tableFull is what the kernel's shared neighbour table did during a
// check: how many times it refused an entry, per family, and its size.
// The zero value: it never refused one.
type tableFull struct {
	refused4, refused6 uint64
	max4, max6         int // gc_thresh3; 0 when unread
}

// full says whether the table refused any entry while the probes ran.
func (t tableFull) full() bool { return t.refused4 > 0 || t.refused6 > 0 }

// blames says whether r's failure is best explained by the full table:
// the table refused entries while the probes ran, the walk found no
// broken hop, and the probe saw only silence (no neighbour answer, or
// no echo reply), nothing more telling such as an ICMP error or a
// wrong neighbour entry. Pure.
func (t tableFull) blames(r probe.Result) bool {
	silent := (r.Reason == probe.ReasonARP || r.Reason == probe.ReasonICMP) && r.Neighbor == nil && r.ICMP == nil
	return t.full() && silent && (r.Path == nil || r.Path.Broken == nil)
}

// sentence says why a probe from `from` that the walk finds nothing
// wrong with may have failed: its request, or the answer, had no
// neighbour entry to go out with. Pure.
func (t tableFull) sentence(from string) string {
	family, sysctl, refused, max := "IPv4 (ARP)", "net.ipv4.neigh.default.gc_thresh3", t.refused4, t.max4
	if t.refused4 == 0 {
		family, sysctl, refused, max = "IPv6 (NDP)", "net.ipv6.neigh.default.gc_thresh3", t.refused6, t.max6
	}
	size := ""
	if max > 0 {
		size = fmt.Sprintf(" of %d entries", max)
	}
	return fmt.Sprintf("every hop looks right, but the machine's %s neighbour table%s, shared by every namespace, was full during the check and refused %d new entries, so %s's request or its answer may have been dropped for want of one: stop other labs or traffic, or raise %s (and gc_thresh2), then check again", family, size, refused, from, sysctl)
}

// since is what the table did between the reading before (t) and the
// one after: the refusals in between, the sizes after. Pure.
func (t tableFull) since(after tableFull) tableFull {
	d := after
	d.refused4, d.refused6 = 0, 0
	if after.refused4 > t.refused4 {
		d.refused4 = after.refused4 - t.refused4
	}
	if after.refused6 > t.refused6 {
		d.refused6 = after.refused6 - t.refused6
	}
	return d
}
