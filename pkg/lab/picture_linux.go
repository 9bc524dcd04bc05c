package lab

import (
	"context"
	"fmt"

	"github.com/topo-lab/topo/pkg/graph"
)

// Picture draws a lab that is up with its live state, read through
// Status (the code of `topo status`): link state, addresses,
// impairments and spanning-tree port states from the kernel, the
// drift, and the last check's outcome. It also returns the status it
// read. It takes no lock: it only reads.
func Picture(ctx context.Context, name string, o graph.Options) (*graph.Graph, *LabStatus, error) {
	st, err := LoadState(name)
	if err != nil {
		return nil, nil, err
	}
	s, err := Status(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if s.Error != "" && s.State != "gone" {
		return nil, s, fmt.Errorf("lab %s: %s", name, s.Error)
	}
	o.Live = LiveOf(s)
	if c, err := LoadLastCheck(name); err == nil && c != nil {
		o.Live.Check = c.Pairs
	}
	return graph.Build(st.Lab, o), s, nil
}

// LiveOf turns a lab's status into what a picture draws.
func LiveOf(s *LabStatus) *graph.Live {
	live := &graph.Live{Missing: map[string]bool{}, Ifaces: map[string]graph.LiveIface{}, Drift: s.Drift}
	for _, n := range s.Nodes {
		if !n.Present {
			live.Missing[n.Name] = true
			continue
		}
		for _, i := range n.Ifaces {
			li := graph.LiveIface{State: i.State, Addresses: i.Addresses, Port: i.Port}
			if i.Impair != "" {
				li.Impair = i.impair
			}
			live.Ifaces[n.Name+":"+i.Name] = li
		}
	}
	return live
}
