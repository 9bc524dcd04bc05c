package lab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// ErrMachineLimit is what Up returns, before building anything, when a
// limit of the machine is too low for the lab.
var ErrMachineLimit = errors.New("a limit of this machine is too low for the lab")

// machineLimits are the machine's limits that a lab's size runs into,
// and how much of each is in use; -1 when unknown.
type machineLimits struct {
	openFiles     int // RLIMIT_NOFILE of this process (soft)
	netNamespaces int // user.max_net_namespaces
	netUsed       int // network namespaces now (the kernel's slab count)
	pidMax        int // kernel.pid_max
	pidsUsed      int // processes now
}

// minOpenFiles is the least open-file limit topo runs with, however
// big the lab: it holds a bounded set of namespace handles (see
// handles) and check's sources are bounded by the limit too.
const minOpenFiles = 256

// machineProblems says which limits are too low to build newNodes
// namespaces that start newProcs processes, each with how to raise it;
// nil when none is. Pure.
func machineProblems(lab string, m machineLimits, newNodes, newProcs int) error {
	var msgs []string
	if m.openFiles >= 0 && m.openFiles < minOpenFiles {
		msgs = append(msgs, fmt.Sprintf("the open-file limit is %d and topo needs %d (raise it: ulimit -n %d, or LimitNOFILE= in a systemd unit)",
			m.openFiles, minOpenFiles, 4*minOpenFiles))
	}
	if m.netNamespaces >= 0 && m.netUsed >= 0 && m.netUsed+newNodes > m.netNamespaces {
		msgs = append(msgs, fmt.Sprintf("the lab needs %d more network namespaces, the machine has %d and allows %d (raise it: sysctl -w user.max_net_namespaces=%d)",
			newNodes, m.netUsed, m.netNamespaces, m.netUsed+newNodes+1024))
	}
	if m.pidMax >= 0 && m.pidsUsed >= 0 && m.pidsUsed+newProcs > m.pidMax {
		msgs = append(msgs, fmt.Sprintf("the lab starts %d processes, the machine runs %d and allows %d (raise it: sysctl -w kernel.pid_max=%d)",
			newProcs, m.pidsUsed, m.pidMax, min(1<<22, 2*(m.pidsUsed+newProcs))))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("lab %s not built: %w: %s", lab, ErrMachineLimit, strings.Join(msgs, "; "))
}

// newWork counts what applying plan makes: namespaces, and processes
// (one per exec command of a node it creates or runs again).
func newWork(l *topology.Lab, plan *topology.Plan) (nodes, procs int) {
	byName := l.NodesByName()
	for _, s := range plan.Steps {
		switch s.Op {
		case topology.OpCreateNode:
			nodes++
		case topology.OpRunExec:
			if n := byName[s.Node]; n != nil {
				procs += len(n.Exec)
			}
		}
	}
	return nodes, procs
}

// NeighbourEntries is the most neighbour entries the lab's nodes can
// learn, all at once: each address's same-subnet neighbours (see
// neighbourCap). The kernel's table, shared by every namespace, holds
// net.ipv4.neigh.default.gc_thresh3 (1,024 by default). Pure.
func NeighbourEntries(l *topology.Lab) int { return neighbourCap(l) }
