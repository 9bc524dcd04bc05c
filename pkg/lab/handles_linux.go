package lab

import (
	"sync"

	"github.com/topo-lab/topo/pkg/node"
)

// handles opens each node's namespace once, verified as the lab's own
// (ownership.verify), and shares the handle among all steps that touch
// it. Safe for concurrent use.
type handles struct {
	own *ownership
	mu  sync.Mutex
	m   map[string]*node.Namespace
}

func newHandles(own *ownership) *handles {
	return &handles{own: own, m: map[string]*node.Namespace{}}
}

// get returns the open namespace of a node, opening it on first use.
func (h *handles) get(nodeName string) (*node.Namespace, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ns := h.m[nodeName]; ns != nil {
		return ns, nil
	}
	ns, err := h.own.openNode(nodeName)
	if err != nil {
		return nil, err
	}
	h.m[nodeName] = ns
	return ns, nil
}

// put keeps ns, just made, as nodeName's handle, closing any older one.
func (h *handles) put(nodeName string, ns *node.Namespace) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[nodeName].Close()
	h.m[nodeName] = ns
}

// drop closes a node's handle, before its namespace is deleted.
func (h *handles) drop(nodeName string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[nodeName].Close()
	delete(h.m, nodeName)
}

// close releases every handle.
func (h *handles) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, ns := range h.m {
		ns.Close()
		delete(h.m, name)
	}
}
