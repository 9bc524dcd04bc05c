package lab

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// observeLeftovers fills in the Leftovers of every observed node of
// lab: the processes running in it (one scan of /proc for the whole
// lab), its neighbour entries, and each net.* setting that differs from
// the one a fresh node of the same kind and file settings holds.
func observeLeftovers(ctx context.Context, l *topology.Lab, obs *topology.Observed, hs *handles) error {
	inodes := map[uint64]bool{}
	var names []string
	for name, o := range obs.Nodes {
		if l.Node(name) != nil {
			inodes[o.Inode] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	procs, err := node.ProcessesIn(inodes)
	if err != nil {
		return err
	}
	fresh := &freshCache{m: map[string]map[string]string{}}
	return parallel(ctx, len(names), func(i int) error {
		n, o := l.Node(names[i]), obs.Nodes[names[i]]
		ns, release, err := hs.use(n.Name)
		if err != nil {
			return err
		}
		defer release()
		left := &topology.Leftovers{Processes: len(procs[o.Inode])}
		if left.Neighbours, err = node.CountNeighbours(ns); err != nil {
			return err
		}
		have, err := node.ReadSysctlTree(ns)
		if err != nil {
			return err
		}
		ref, err := fresh.get(n)
		if err != nil {
			return err
		}
		for k, v := range have {
			if want, ok := ref[node.FreshKey(k)]; ok && want != v {
				if left.Sysctls == nil {
					left.Sysctls = map[string][2]string{}
				}
				left.Sysctls[k] = [2]string{v, want}
			}
		}
		o.Leftovers = left
		return nil
	})
}

// freshCache holds the settings of a fresh node (node.FreshSysctls) per
// kind and file settings, so a lab of many alike nodes makes one
// throwaway namespace per kind of node, not one per node.
type freshCache struct {
	mu sync.Mutex
	m  map[string]map[string]string
}

func (c *freshCache) get(n *topology.Node) (map[string]string, error) {
	isSwitch := n.Kind == topology.KindSwitch
	set := topology.EffectiveSysctls(n)
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	topology.SortSysctls(keys) // in the order the plan writes them
	after := make([]node.Sysctl, len(keys))
	id := []string{string(n.Kind)}
	for i, k := range keys {
		after[i] = node.Sysctl{Key: k, Value: set[k]}
		id = append(id, k+"="+set[k])
	}
	key := strings.Join(id, " ")
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.m[key]; ok {
		return m, nil
	}
	m, err := node.FreshSysctls(nodeSysctls(isSwitch), isSwitch, after)
	if err != nil {
		return nil, err
	}
	c.m[key] = m
	return m, nil
}

// killProcesses kills every process in a node's namespace and waits
// for them to exit, so that exec commands run again find their ports
// and files free.
func (x *executor) killProcesses(name string) error {
	inode, ok := x.own.inode(name)
	if !ok || inode == 0 {
		return nil
	}
	_, err := node.KillAndWait(x.ctx, map[uint64]bool{inode: true})
	return err
}
