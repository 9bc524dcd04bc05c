package capture

import (
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/topo-lab/topo/pkg/node"
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
	// attached is set once the node has been captured: a namespace
	// found after it went is "back".
	attached bool
}

// onLink starts a stream on a selected interface that appeared, and
// ends the stream of one that went away. Events of a watch that is no
// longer the node's (its namespace went) are ignored: the namespace
// made again may use the same interface indexes.
func (n *nodeCap) onLink(lw *linkWatch, ev linkEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped || n.ns == nil || n.lw != lw {
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
	rings, err := n.openRings(n.ns, []ifaceRef{ifc})
	if err != nil {
		n.s.note("%v", err)
		return
	}
	n.addStreams(rings, true)
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
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	if n.ns != nil {
		if inode, err := node.Inode(n.ns.Name); err == nil && inode == n.ns.Inode {
			n.mu.Unlock()
			return
		}
		n.s.note("node %s: its namespace is gone; capturing it again if it comes back", n.sel.Node)
		n.detachLocked()
	}
	back := n.attached
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
	if err := n.attach(ns, true); err != nil {
		n.s.note("node %s: %v", n.sel.Node, err)
		return
	}
	if back {
		n.s.note("node %s: its namespace is back", n.sel.Node)
	}
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
