package main

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/topo-lab/topo/bench/internal/genfile"
)

// bridgeIndex is the interface index of the bridge in a switch's
// namespace (lo is 1).
const bridgeIndex = 2

type builder struct {
	prefix   string
	mu       sync.Mutex
	spaces   map[string]*space // by node name
	requests atomic.Int64
}

func (b *builder) count(n int) { b.requests.Add(int64(n)) }

// namespaces makes one namespace per node with lo up, and the bridge
// of each switch.
func (b *builder) namespaces(lab *genfile.Lab, workers int) error {
	nodes := append(append([]string{}, lab.Hosts...), lab.Switches...)
	isSwitch := map[string]bool{}
	for _, s := range lab.Switches {
		isSwitch[s] = true
	}
	return parallel(len(nodes), workers, func(i int) error {
		node := nodes[i]
		s, err := newSpace(b.prefix + node)
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.spaces[node] = s
		b.mu.Unlock()
		if err := s.setUp(1, 0); err != nil {
			return fmt.Errorf("%s: lo up: %w", s.name, err)
		}
		b.count(1)
		if isSwitch[node] {
			s.next.Store(bridgeIndex)
			if err := s.addBridge(node, bridgeIndex); err != nil {
				return fmt.Errorf("%s: bridge: %w", s.name, err)
			}
			b.count(1)
		}
		return nil
	})
}

// links makes every veth pair from its switch end when it has one, so
// the enslaving rides on the create request.
func (b *builder) links(lab *genfile.Lab, workers int) error {
	return parallel(len(lab.Links), workers, func(i int) error {
		l := lab.Links[i]
		a, z := l.A, l.B
		if !a.Switch && z.Switch {
			a, z = z, a
		}
		sa, sz := b.spaces[a.Node], b.spaces[z.Node]
		ia, iz := sa.index(), sz.index()
		var master int32
		if a.Switch {
			master = bridgeIndex
		}
		if err := sa.addVeth(ifname(a, ia), ia, master, sz, ifname(z, iz), iz); err != nil {
			return fmt.Errorf("link %s-%s: veth: %w", a.Node, z.Node, err)
		}
		b.count(1)
		var zMaster int32
		if z.Switch {
			zMaster = bridgeIndex
		}
		if err := sz.setUp(iz, zMaster); err != nil {
			return fmt.Errorf("link %s-%s: %s end up: %w", a.Node, z.Node, z.Node, err)
		}
		b.count(1)
		for _, e := range []struct {
			end genfile.End
			s   *space
			idx int32
		}{{a, sa, ia}, {z, sz, iz}} {
			if e.end.Switch || !e.end.Addr.IsValid() {
				continue
			}
			if err := e.s.addAddr(e.idx, e.end.Addr); err != nil {
				return fmt.Errorf("link %s-%s: address on %s: %w", a.Node, z.Node, e.end.Node, err)
			}
			b.count(1)
		}
		return nil
	})
}

// ifname is the host's interface name, or p<index> for a switch port.
func ifname(e genfile.End, index int32) string {
	if e.Switch || e.Iface == "" {
		return fmt.Sprintf("p%d", index)
	}
	return e.Iface
}

func (b *builder) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.spaces {
		s.close()
	}
}

// teardown deletes every namespace, as `ip netns delete` would.
func (b *builder) teardown(workers int) error {
	var paths []string
	for _, s := range b.spaces {
		paths = append(paths, s.path)
	}
	return parallel(len(paths), workers, func(i int) error { return removeSpace(paths[i]) })
}
