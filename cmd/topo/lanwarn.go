package main

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// warnLargeLAN prints largeLANWarning (only when the kernel cannot give
// veths a receive queue of their own, see link.FloodQueues) and
// neighbourTableWarning for this machine, if any.
func warnLargeLAN(l *topology.Lab, w io.Writer) {
	if ok, why := link.FloodQueues(); !ok {
		if backlog, err := node.InputBacklog(); err == nil {
			if msg := largeLANWarning(l, backlog, why); msg != "" {
				fmt.Fprintln(w, msg)
			}
		}
	}
	if max, err := node.NeighbourTableMax(unix.AF_INET); err == nil {
		if msg := neighbourTableWarning(lab.NeighbourEntries(l), max); msg != "" {
			fmt.Fprintln(w, msg)
		}
	}
}

// neighbourTableWarning says, in one sentence, when the lab's hosts
// can learn more neighbour entries than the kernel's table holds
// (gc_thresh3, shared by every namespace): traffic among many hosts at
// once then fails ARP/NDP. topo check is not affected (it probes in
// waves that fit). "" when not.
func neighbourTableWarning(entries, max int) string {
	if entries <= max {
		return ""
	}
	return fmt.Sprintf("warning: the lab's hosts can learn up to %d neighbour entries, more than this machine's table holds (net.ipv4.neigh.default.gc_thresh3 = %d, shared by every namespace), so traffic among many hosts at once can fail ARP (topo check is not affected); raise it to what your traffic needs, up to %d (sysctl -w net.ipv4.neigh.default.gc_thresh2=N net.ipv4.neigh.default.gc_thresh3=N)",
		entries, max, entries)
}

// largeLANWarning says, in one sentence, when the broadcasts of the
// lab's largest switched LAN can overflow what the machine queues of
// received frames per CPU (backlog; see topology.LAN.Overflows) and
// the kernel queues a switch's floods there (why says so): broadcasts
// there (ARP requests, say) lose copies, so some hosts never hear them.
// "" when not.
func largeLANWarning(l *topology.Lab, backlog int, why string) string {
	var lan *topology.LAN
	for _, c := range l.LANs() {
		if c.Overflows(backlog) && (lan == nil || c.Copies() > lan.Copies()) {
			lan = &c
		}
	}
	if lan == nil {
		return ""
	}
	sw := lan.Switches
	names := strings.Join(sw[:min(len(sw), 3)], ", ")
	if len(sw) > 3 {
		names += fmt.Sprintf(" and %d more", len(sw)-3)
	}
	return fmt.Sprintf("warning: the LAN of switches %s has %d hosts, and two of its broadcasts at once make more copies than this machine queues (net.core.netdev_max_backlog = %d; %s), so broadcasts there miss some hosts and ARP to them can fail; raise it (sysctl -w net.core.netdev_max_backlog=%d) or split the LAN with routers",
		names, lan.Hosts, backlog, why, 2*lan.Copies())
}
