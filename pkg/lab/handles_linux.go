package lab

import (
	"container/list"
	"sync"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// handles opens each node's namespace, verified as the lab's own
// (ownership.verify), and shares the handle among all steps that touch
// it, while they touch it. It keeps at most max handles that nobody
// uses, closing the least recently used beyond that: a handle holds
// descriptors (the namespace and its route sockets), and a run that
// kept all of a 10,000-node lab's open would run out of them. Safe for
// concurrent use.
type handles struct {
	own  *ownership
	max  int // idle handles kept open
	mu   sync.Mutex
	m    map[string]*handle
	idle *list.List // of *handle with no user, most recently used first
}

// handle is one open namespace and how many use it now.
type handle struct {
	name string
	ns   *node.Namespace
	refs int
	at   *list.Element // in idle while refs == 0
	gone bool          // dropped or replaced: close on the last release
}

// fdsPerHandle is what one open node.Namespace holds: the namespace
// and two route sockets.
const fdsPerHandle = 3

func newHandles(own *ownership) *handles {
	return &handles{own: own, max: idleHandles(), m: map[string]*handle{}, idle: list.New()}
}

// idleHandles is how many unused handles to keep open: a quarter of
// the process's open-file limit, at least 16 and at most 1024 (enough
// that a lab of that many nodes is never reopened).
func idleHandles() int {
	return max(16, min(1024, openFileLimit()/4/fdsPerHandle))
}

// openFileLimit is the process's open-file limit (RLIMIT_NOFILE, soft;
// Go raises it to the hard limit at start), or 1024 when unknown.
func openFileLimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return int(min(rl.Cur, 1<<20))
}

// use returns the open namespace of a node, opening it when it is not
// open, and what the caller must call once done with it; the handle is
// not closed before. Never nil on success.
func (h *handles) use(nodeName string) (*node.Namespace, func(), error) {
	h.mu.Lock()
	if e := h.m[nodeName]; e != nil {
		h.hold(e)
		h.mu.Unlock()
		return e.ns, h.releaser(e), nil
	}
	h.mu.Unlock()
	// Opened unlocked: it enters the namespace and verifies it.
	ns, err := h.own.openNode(nodeName)
	if err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.m[nodeName]; e != nil {
		// Another caller opened it meanwhile: share theirs.
		ns.Close()
		h.hold(e)
		return e.ns, h.releaser(e), nil
	}
	e := &handle{name: nodeName, ns: ns, refs: 1}
	h.m[nodeName] = e
	return ns, h.releaser(e), nil
}

// put keeps ns, just made, as nodeName's handle, replacing any older
// one, held by the caller until it calls the function returned.
func (h *handles) put(nodeName string, ns *node.Namespace) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forget(nodeName)
	e := &handle{name: nodeName, ns: ns, refs: 1}
	h.m[nodeName] = e
	return h.releaser(e)
}

// drop closes a node's handle (once its users are done), before its
// namespace is deleted.
func (h *handles) drop(nodeName string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forget(nodeName)
}

// close closes every handle now, or, one still in use, on its last
// release.
func (h *handles) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range h.m {
		h.forget(name)
	}
}

// open counts the handles open now, used or idle.
func (h *handles) open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

// hold adds a user to e. h.mu held.
func (h *handles) hold(e *handle) {
	if e.refs == 0 && e.at != nil {
		h.idle.Remove(e.at)
		e.at = nil
	}
	e.refs++
}

// releaser is the function that gives e back, once.
func (h *handles) releaser(e *handle) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			e.refs--
			if e.refs > 0 {
				return
			}
			if e.gone {
				e.ns.Close()
				return
			}
			e.at = h.idle.PushFront(e)
			for h.idle.Len() > h.max {
				old := h.idle.Remove(h.idle.Back()).(*handle)
				old.at = nil
				old.ns.Close()
				delete(h.m, old.name)
			}
		})
	}
}

// forget removes nodeName's handle from the cache, closing it now when
// unused, else on its last release. h.mu held.
func (h *handles) forget(nodeName string) {
	e := h.m[nodeName]
	if e == nil {
		return
	}
	delete(h.m, nodeName)
	if e.refs == 0 {
		if e.at != nil {
			h.idle.Remove(e.at)
		}
		e.ns.Close()
		return
	}
	e.gone = true
}
