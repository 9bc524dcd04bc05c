package capture

import (
	"errors"
	"fmt"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// attachment is a node's namespace made ready for capture: the
// watch on its interfaces, the selected interfaces there, and once
// bound a ring on each.
type attachment struct {
	ns      *node.Namespace
	lw      *linkWatch
	want    []ifaceRef
	rings   []openRing
	waiting []string // named interfaces not there
}

// openRing is a ring bound to an interface.
type openRing struct {
	ifaceRef
	r *ring
}

// prepare makes ns (which it then owns) ready: it subscribes to the
// namespace's link notifications, then lists its interfaces and picks
// the selected ones. It changes nothing of n, so nodes are prepared in
// parallel.
func (n *nodeCap) prepare(ns *node.Namespace) (*attachment, error) {
	lw, err := watchLinks(ns)
	if err != nil {
		ns.Close()
		return nil, err
	}
	links, err := ns.NL.LinkList()
	if err != nil {
		lw.close()
		ns.Close()
		return nil, fmt.Errorf("list the interfaces of %s: %w", ns.Name, err)
	}
	a := &attachment{ns: ns, lw: lw}
	have := map[string]bool{}
	for _, l := range links {
		at := l.Attrs()
		have[at.Name] = true
		if n.sel.Wants(at.Name) {
			a.want = append(a.want, ifaceRef{at.Name, at.Index})
		}
	}
	for _, name := range n.sel.Ifaces {
		if !have[name] {
			a.waiting = append(a.waiting, name)
		}
	}
	return a, nil
}

// bind gives each interface of a prepared attachment its ring, bound.
// Nodes are bound in parallel.
func (n *nodeCap) bind(a *attachment) error {
	var err error
	a.rings, err = n.openRings(a.ns, a.want)
	return err
}

// commit starts capturing with a prepared attachment: a stream per
// ring, and the goroutine that follows the interfaces.
func (n *nodeCap) commit(a *attachment, announce bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.attached = true
	n.ns, n.lw, n.lwDone = a.ns, a.lw, make(chan struct{})
	n.streams, n.waiting = map[int]*stream{}, map[string]bool{}
	for _, name := range a.waiting {
		n.waiting[name] = true
	}
	n.addStreams(a.rings, announce)
	go func(lw *linkWatch, done chan struct{}) {
		defer close(done)
		lw.run(func(ev linkEvent) { n.onLink(lw, ev) })
	}(a.lw, n.lwDone)
}

// discard lets a prepared attachment go unused.
func (a *attachment) discard() {
	for _, o := range a.rings {
		o.r.discard()
	}
	a.lw.close()
	a.ns.Close()
}

// attach is prepare, bind, then commit.
func (n *nodeCap) attach(ns *node.Namespace, announce bool) error {
	a, err := n.prepare(ns)
	if err != nil {
		return err
	}
	if err := n.bind(a); err != nil {
		a.discard()
		return err
	}
	n.commit(a, announce)
	return nil
}

// ifaceRef is an interface to open a stream on.
type ifaceRef struct {
	name  string
	index int
}

// openRings binds a ring to each interface of ns: the sockets are made
// in the namespace in one visit (node.Do); the rings are set up
// outside it, in parallel (the kernel waits for an RCU grace period
// for each, and waits that overlap cost one). An interface gone in the
// meantime is skipped.
func (n *nodeCap) openRings(ns *node.Namespace, ifs []ifaceRef) ([]openRing, error) {
	if len(ifs) == 0 {
		return nil, nil
	}
	fds := make([]int, 0, len(ifs))
	err := ns.Do(func() error {
		for range ifs {
			fd, err := newPacketSocket()
			if err != nil {
				return err
			}
			fds = append(fds, fd)
		}
		return nil
	})
	if err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("%s: %w", n.sel.Node, err)
	}
	rings := make([]*ring, len(ifs))
	errs := make([]error, len(ifs))
	var wg sync.WaitGroup
	for i, ifc := range ifs {
		wg.Go(func() { rings[i], errs[i] = newRing(fds[i], ifc.index, n.s.ringSize) })
	}
	wg.Wait()
	var out []openRing
	var first error
	for i, ifc := range ifs {
		switch err := errs[i]; {
		case errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
			// gone since it was listed
		case err != nil:
			if first == nil {
				first = fmt.Errorf("capture %s:%s: %w", n.sel.Node, ifc.name, err)
			}
		default:
			out = append(out, openRing{ifc, rings[i]})
		}
	}
	if first != nil {
		for _, o := range out {
			o.r.discard()
		}
		return nil, first
	}
	return out, nil
}

// addStreams starts a stream on each ring. n.mu must be held.
func (n *nodeCap) addStreams(rings []openRing, announce bool) {
	for _, o := range rings {
		n.streams[o.index] = n.s.addStream(n.sel.Node, o.name, o.index, o.r)
		delete(n.waiting, o.name)
		if announce {
			n.s.note("%s:%s: capturing (it appeared)", n.sel.Node, o.name)
		}
	}
}
