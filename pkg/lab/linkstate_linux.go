package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// SetLinkState takes the link with endpoint "node:iface" (either end)
// administratively down or up on both ends, and records it as applied,
// so `topo status` shows it and `topo up FILE` restores what the file
// says. It goes through the planner like up, limited to the link's
// ends and the routes through them: the kernel drops those routes when
// the link goes down and takes none back while it is down, so they are
// held (the plan's notes say which) and added again when it comes up.
// It returns the link and the plan it applied. Needs root; takes the
// lab's lock.
func SetLinkState(ctx context.Context, labName, endpoint string, up bool, opts Options) (*topology.Link, *topology.Plan, error) {
	lock, err := LockLab(ctx, labName, "topo link", opts.Wait)
	if err != nil {
		return nil, nil, err
	}
	defer lock.Unlock()
	st, err := LoadState(labName)
	if err != nil {
		return nil, nil, err
	}
	want, lk := withLinkState(st.Lab, endpoint, up)
	if lk == nil {
		return nil, nil, fmt.Errorf("lab %s has no link with end %s (write NODE:IFACE, e.g. h1:eth0)", labName, endpoint)
	}
	if err := fillFromRecords(st); err != nil {
		return nil, nil, err
	}
	own := ownershipOf(st)
	hs := newHandles(own)
	defer hs.close()
	obs, _, err := observe(ctx, want, st.Lab, own, hs)
	if err != nil {
		return nil, nil, err
	}
	plan := topology.Diff(want, topology.Current{Applied: want, Observed: obs, SysctlOriginal: st.SysctlOriginal})
	plan = onlyLink(plan, lk)
	x := &executor{lab: want, st: st, own: own, obs: obs, hs: hs, verbose: opts.Verbose}
	if err := x.apply(ctx, plan); err != nil {
		return lk, plan, err
	}
	st.Lab = want
	return lk, plan, own.save()
}

// withLinkState returns a copy of l whose link with the given end
// ("node:iface", or "node" when the node has one interface) is set up
// or down, and that link; nil when l has no such link.
func withLinkState(l *topology.Lab, endpoint string, up bool) (*topology.Lab, *topology.Link) {
	nodeName, iface, _ := strings.Cut(endpoint, ":")
	out := *l
	out.Links = append([]*topology.Link(nil), l.Links...)
	for i, lk := range out.Links {
		for _, e := range lk.Ends {
			if e.Node == nodeName && (e.Interface == iface || iface == "" && len(l.Interfaces(nodeName)) == 1) {
				c := *lk
				c.Down = !up
				out.Links[i] = &c
				return &out, &c
			}
		}
	}
	return nil, nil
}

// onlyLink keeps the steps and notes of plan that concern lk: the state
// and addresses of its two ends and the routes through them.
func onlyLink(plan *topology.Plan, lk *topology.Link) *topology.Plan {
	out := &topology.Plan{Lab: plan.Lab}
	through := func(node string, r topology.Route) bool {
		for _, e := range lk.Ends {
			if e.Node != node {
				continue
			}
			for _, p := range e.Addresses {
				if p.Masked().Contains(r.Via) {
					return true
				}
			}
		}
		return false
	}
	for _, s := range plan.Steps {
		switch s.Op {
		case topology.OpSetState, topology.OpAddAddr:
			if s.Node == lk.Ends[0].Node && s.Iface == lk.Ends[0].Interface || s.Node == lk.Ends[1].Node && s.Iface == lk.Ends[1].Interface {
				out.Steps = append(out.Steps, s)
			}
		case topology.OpAddRoute:
			if through(s.Node, s.Route) {
				out.Steps = append(out.Steps, s)
			}
		}
	}
	for _, n := range plan.Notes {
		for _, e := range lk.Ends {
			if strings.HasPrefix(n, e.Node+" route ") && (strings.Contains(n, " "+e.String()+" ") || strings.Contains(n, " "+e.String()+",")) {
				out.Notes = append(out.Notes, n)
			}
		}
	}
	return out
}
