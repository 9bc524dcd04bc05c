package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// warnLargeLAN prints largeLANWarning for this machine, if any.
func warnLargeLAN(l *topology.Lab, w io.Writer) {
	if backlog, err := node.InputBacklog(); err == nil {
		if msg := largeLANWarning(l, backlog); msg != "" {
			fmt.Fprintln(w, msg)
		}
	}
}

// largeLANWarning says, in one sentence, when the lab's largest
// switched LAN has more host interfaces than the machine queues
// received frames per CPU (backlog): each broadcast there (an ARP
// request, say) loses copies, so some hosts never hear it. "" when not.
func largeLANWarning(l *topology.Lab, backlog int) string {
	lans := l.LANs()
	if len(lans) == 0 || lans[0].Hosts <= backlog {
		return ""
	}
	sw := lans[0].Switches
	names := strings.Join(sw[:min(len(sw), 3)], ", ")
	if len(sw) > 3 {
		names += fmt.Sprintf(" and %d more", len(sw)-3)
	}
	return fmt.Sprintf("warning: the LAN of switches %s has %d hosts, more than this machine queues at once (net.core.netdev_max_backlog = %d), so every broadcast there misses some hosts and ARP to them can fail; raise it (sysctl -w net.core.netdev_max_backlog=%d) or split the LAN with routers",
		names, lans[0].Hosts, backlog, 2*lans[0].Hosts)
}
