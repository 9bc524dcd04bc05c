package capture

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// nodeCap is the capture of one node: its namespace, the streams of
// its selected interfaces, and the watch on its interfaces that starts
// and ends streams as they come and go.
type nodeCap struct {
	s   *Session
	sel Selection

	mu      sync.Mutex // guards what follows
	ns      *node.Namespace
	lw      *linkWatch
	lwDone  chan struct{}
	streams map[int]*stream // by interface index
	waiting map[string]bool // named interfaces not there
	stopped bool
}

// attach starts capturing in ns (which the nodeCap now owns): it
// subscribes to the namespace's link notifications, then lists its
// interfaces and opens a stream on each selected one.
func (n *nodeCap) attach(ns *node.Namespace, first bool) error {
	lw, err := watchLinks(ns)
	if err != nil {
		ns.Close()
		return err
	}
	links, err := ns.NL.LinkList()
	if err != nil {
		lw.close()
		ns.Close()
		return fmt.Errorf("list the interfaces of %s: %w", ns.Name, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ns, n.lw, n.lwDone = ns, lw, make(chan struct{})
	n.streams, n.waiting = map[int]*stream{}, map[string]bool{}
	var want []ifaceRef
	have := map[string]bool{}
	for _, l := range links {
		a := l.Attrs()
		have[a.Name] = true
		if n.sel.Wants(a.Name) {
			want = append(want, ifaceRef{a.Name, a.Index})
		}
	}
	for _, name := range n.sel.Ifaces {
		if !have[name] {
			n.waiting[name] = true
		}
	}
	if err := n.open(want, !first); err != nil {
		n.closeLocked()
		return err
	}
	go func(lw *linkWatch, done chan struct{}) {
		defer close(done)
		lw.run(n.onLink)
	}(lw, n.lwDone)
	return nil
}

// ifaceRef is an interface to open a stream on.
type ifaceRef struct {
	name  string
	index int
}

// open starts a stream on each interface: the sockets are made in the
// namespace in one visit (node.Do), rings and binding follow outside
// it. An interface gone in the meantime is skipped. n.mu must be held.
func (n *nodeCap) open(ifs []ifaceRef, announce bool) error {
	if len(ifs) == 0 {
		return nil
	}
	fds := make([]int, 0, len(ifs))
	err := n.ns.Do(func() error {
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
		return fmt.Errorf("%s: %w", n.sel.Node, err)
	}
	for i, ifc := range ifs {
		r, err := newRing(fds[i], ifc.index, n.s.ringSize)
		if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			continue // gone since it was listed
		}
		if err != nil {
			for _, fd := range fds[i+1:] {
				unix.Close(fd)
			}
			return fmt.Errorf("capture %s:%s: %w", n.sel.Node, ifc.name, err)
		}
		n.streams[ifc.index] = n.s.addStream(n.sel.Node, ifc.name, ifc.index, r)
		delete(n.waiting, ifc.name)
		if announce {
			n.s.note("%s:%s: capturing (it appeared)", n.sel.Node, ifc.name)
		}
	}
	return nil
}

// onLink starts a stream on a selected interface that appeared, and
// ends the stream of one that went away.
func (n *nodeCap) onLink(ev linkEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped || n.ns == nil {
		return
	}
	if ev.index < 0 { // notifications lost: look again
		links, err := n.ns.NL.LinkList()
		if err != nil {
			return
		}
		for _, l := range links {
			a := l.Attrs()
			if _, ok := n.streams[a.Index]; !ok && n.sel.Wants(a.Name) {
				n.openOne(ifaceRef{a.Name, a.Index})
			}
		}
		return
	}
	st, have := n.streams[ev.index]
	switch {
	case ev.gone && have:
		delete(n.streams, ev.index)
		if !n.sel.All {
			n.waiting[st.name[len(n.sel.Node)+1:]] = true
		}
		n.endStream(st, "the interface is gone")
	case !ev.gone && !have && n.sel.Wants(ev.name):
		n.openOne(ifaceRef{ev.name, ev.index})
	}
}

// openOne opens a stream for an interface that appeared. n.mu must be
// held.
func (n *nodeCap) openOne(ifc ifaceRef) {
	if err := n.open([]ifaceRef{ifc}, true); err != nil {
		n.s.note("%v", err)
	}
}

// endStream ends a stream whose interface or node went away, once it
// has read what the kernel had for it, and notes it.
func (n *nodeCap) endStream(st *stream, why string) {
	st.gone.Store(true)
	st.end(time.Now().Add(drainTime))
	n.s.streamEnded(st)
	n.s.note("%s: %s (%d %s captured)", st.name, why, st.captured.Load(), plural(st.captured.Load(), "frame"))
}

// recheck follows the node's namespace: when it is gone (the node was
// removed, or re-created as another namespace) its streams end; when a
// namespace of the lab's is there again, capturing starts again. It
// ends the whole capture when the lab is down.
func (n *nodeCap) recheck() {
	nsName := ""
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	if n.ns != nil {
		nsName = n.ns.Name
		if inode, err := node.Inode(nsName); err == nil && inode == n.ns.Inode {
			n.mu.Unlock()
			return
		}
		n.s.note("node %s: its namespace is gone; capturing it again if it comes back", n.sel.Node)
		n.detachLocked()
	}
	n.mu.Unlock()
	ns, err := n.s.opts.Open(n.sel.Node)
	switch {
	case errors.Is(err, ErrLabDown):
		n.s.mu.Lock()
		n.s.end(err)
		n.s.mu.Unlock()
		return
	case err != nil:
		return // not there (yet)
	}
	if err := n.attach(ns, false); err != nil {
		n.s.note("node %s: %v", n.sel.Node, err)
		return
	}
	n.s.note("node %s: its namespace is back", n.sel.Node)
}

// detachLocked ends every stream of the node and lets its namespace
// go. n.mu must be held.
func (n *nodeCap) detachLocked() {
	deadline := time.Now().Add(drainTime)
	for _, st := range n.streams {
		st.gone.Store(true)
		st.stop.Do(func() { st.r.setDeadline(deadline) })
	}
	for idx, st := range n.streams {
		delete(n.streams, idx)
		n.endStream(st, "its node is gone")
	}
	n.closeLocked()
}

// closeLocked stops the link watch and closes the namespace. n.mu must
// be held.
func (n *nodeCap) closeLocked() {
	if n.lw != nil {
		n.lw.close()
		n.lw = nil
	}
	if n.ns != nil {
		n.ns.Close()
		n.ns = nil
	}
}

// stopWatching stops reacting to interfaces and namespaces, before the
// session ends the streams.
func (n *nodeCap) stopWatching() {
	n.mu.Lock()
	n.stopped = true
	lw, done := n.lw, n.lwDone
	n.mu.Unlock()
	if lw != nil {
		lw.close()
		<-done
	}
}

// close lets the namespace go, once the streams have ended.
func (n *nodeCap) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closeLocked()
}

// waitingFor lists the named interfaces of the node not there.
func (n *nodeCap) waitingFor() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for name := range n.waiting {
		out = append(out, n.sel.Node+":"+name)
	}
	sort.Strings(out)
	return out
}
