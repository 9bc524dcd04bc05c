package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/topology"
)

// SetLinkState takes the link with endpoint "node:iface" (either end)
// administratively down or up on both ends, and records it as applied,
// so `topo status` shows it and `topo up FILE` restores what the file
// says. Needs root; takes the lab's lock.
func SetLinkState(ctx context.Context, labName, endpoint string, up bool, opts Options) (*topology.Link, error) {
	lock, err := LockLab(ctx, labName, "topo link", opts.Wait)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	st, err := LoadState(labName)
	if err != nil {
		return nil, err
	}
	nodeName, iface, _ := strings.Cut(endpoint, ":")
	var lk *topology.Link
	for _, l := range st.Lab.Links {
		for _, e := range l.Ends {
			if e.Node == nodeName && (e.Interface == iface || iface == "" && len(st.Lab.Interfaces(nodeName)) == 1) {
				lk = l
			}
		}
	}
	if lk == nil {
		return nil, fmt.Errorf("lab %s has no link with end %s (write NODE:IFACE, e.g. h1:eth0)", labName, endpoint)
	}
	hs := newHandles(labName)
	defer hs.close()
	for _, e := range lk.Ends {
		ns, err := hs.get(e.Node)
		if err != nil {
			return nil, err
		}
		if err := link.SetUp(ns, e.Interface, up); err != nil {
			return nil, err
		}
	}
	lk.Down = !up
	return lk, st.Save()
}
