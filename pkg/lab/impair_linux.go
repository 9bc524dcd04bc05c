package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/topology"
)

// SetImpair gives the traffic leaving endpoint "node:iface" (or "node"
// when the node has one interface) of a running lab the impairment m at
// once, replacing the one in force (nil or zero removes it), and
// records it as applied, so `topo status` shows it and `topo up FILE`
// restores what the file says. The namespaces and the link stay as
// they are. m is checked (Impairment.Validate) and, when it needs
// netem, the kernel too (one sentence wrapping link.ErrNoNetem) before
// anything changes. Needs root; takes the lab's lock. Any goroutine.
func SetImpair(ctx context.Context, labName, endpoint string, m *topology.Impairment, opts Options) (topology.Endpoint, error) {
	if err := m.Validate(); err != nil {
		return topology.Endpoint{}, fmt.Errorf("impair %s: %w", endpoint, err)
	}
	lock, err := LockLab(ctx, labName, "topo impair", opts.Wait)
	if err != nil {
		return topology.Endpoint{}, err
	}
	defer lock.Unlock()
	st, own, err := loadOwnership(labName)
	if err != nil {
		return topology.Endpoint{}, err
	}
	end, err := findEnd(st.Lab, endpoint)
	if err != nil {
		return topology.Endpoint{}, err
	}
	if m.IsZero() {
		m = nil
	}
	// The kernel check sees the one end as a lab of one link.
	probe := &topology.Lab{Name: labName, Links: []*topology.Link{{Ends: [2]topology.Endpoint{{Node: end.Node, Interface: end.Interface, Impair: m}}}}}
	if err := link.CheckKernel(probe); err != nil {
		return *end, err
	}
	if err := ctx.Err(); err != nil {
		return *end, err
	}
	hs := newHandles(own)
	defer hs.close()
	ns, release, err := hs.use(end.Node)
	if err != nil {
		return *end, err
	}
	defer release()
	if err := link.SetImpair(ns, end.Interface, m); err != nil {
		return *end, fmt.Errorf("%s: %w", end, err)
	}
	end.Impair = m
	return *end, st.Save()
}

// findEnd returns the applied lab's endpoint named "node:iface", or
// "node" when the node has exactly one interface.
func findEnd(l *topology.Lab, endpoint string) (*topology.Endpoint, error) {
	nodeName, iface, _ := strings.Cut(endpoint, ":")
	if !l.IsLocal(nodeName) && l.Elsewhere[nodeName] != "" {
		return nil, l.NoNode(nodeName, "")
	}
	if iface == "" {
		if ends := l.Interfaces(nodeName); len(ends) == 1 {
			iface = ends[0].Interface
		}
	}
	for _, lk := range l.Links {
		for i := range lk.Ends {
			if e := &lk.Ends[i]; e.Node == nodeName && e.Interface == iface {
				return e, nil
			}
		}
	}
	return nil, fmt.Errorf("lab %s has no link with end %s (write NODE:IFACE, e.g. h1:eth0)", l.Name, endpoint)
}
