package lab

import "github.com/topo-lab/topo/pkg/topology"

// overBacklog lists the switches of l's LANs with more hosts than
// backlog. Pure.
func overBacklog(l *topology.Lab, backlog int) map[string]bool {
	over := map[string]bool{}
	for _, lan := range l.LANs() {
		if lan.Hosts <= backlog {
			break // largest first
		}
		for _, s := range lan.Switches {
			over[s] = true
		}
	}
	return over
}
