package lab

import (
	"sync"

	"github.com/topo-lab/topo/pkg/node"
)

// floodSwitches says which switches belong to a LAN whose broadcasts
// can overflow the machine's input backlog (net.core.netdev_max_backlog;
// see topology.LAN.Overflows), whose links get
// link.VethSpec.FloodQueues; computed once per run.
type floodSwitches struct {
	once sync.Once
	over map[string]bool
}

// floodsOver reports whether nodeName is a switch of a LAN whose
// broadcasts can overflow the input backlog. An unreadable backlog
// counts as the kernel's default, 1,000.
func (x *executor) floodsOver(nodeName string) bool {
	x.floods.once.Do(func() {
		backlog, err := node.InputBacklog()
		if err != nil {
			backlog = 1000
		}
		x.floods.over = overBacklog(x.lab, backlog)
	})
	return x.floods.over[nodeName]
}
