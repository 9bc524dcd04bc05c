package lab

import (
	"context"
	"net/netip"
	"sort"

	"github.com/topo-lab/topo/pkg/explain"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// snapshot is a snapshot of l, a lab that is up, for explain.Walk: the
// lab file's links as the wires, its addresses' subnets and owners and
// its switches (so a walk reads only the nodes on its way), and each
// node's kernel state read as a walk first reaches it, with the routes
// the file gives it. A node that cannot be read is nil (a walk reaching
// it says so).
func snapshot(l *topology.Lab, hs *handles) *explain.Lab {
	snap := &explain.Lab{Nodes: map[string]*explain.Node{}, Subnets: map[netip.Addr]netip.Prefix{}}
	for _, lk := range l.Links {
		a, b := lk.Ends[0], lk.Ends[1]
		snap.Wires = append(snap.Wires, [2]explain.End{{Node: a.Node, Iface: a.Interface}, {Node: b.Node, Iface: b.Interface}})
		for _, e := range lk.Ends {
			for _, p := range e.Addresses {
				snap.Subnets[p.Addr()] = p
			}
		}
	}
	snap.Switches, snap.Owners = map[string]bool{}, map[netip.Addr][]string{}
	for _, n := range l.Nodes {
		snap.Switches[n.Name] = n.Kind == topology.KindSwitch
	}
	for name, ps := range l.AddressesByNode() {
		for _, p := range ps {
			snap.Owners[p.Addr()] = append(snap.Owners[p.Addr()], name)
		}
	}
	for _, ns := range snap.Owners {
		sort.Strings(ns)
	}
	nodes := l.NodesByName()
	snap.Load = func(name string) *explain.Node {
		n := nodes[name]
		if n == nil {
			return nil
		}
		ns, release, err := hs.use(name)
		if err != nil {
			return nil
		}
		defer release()
		sn, err := explain.Read(ns, name, n.Kind == topology.KindSwitch)
		if err != nil {
			return nil
		}
		for _, r := range n.Routes {
			sn.Planned = append(sn.Planned, explain.Route{Dst: r.To.Masked(), Gw: r.Via, Dev: r.Dev, Type: r.Type})
		}
		return sn
	}
	return snap
}

// explainWith walks the path of every result that failed, through a
// snapshot of l taken now (see snapshot), and fills in its Path and
// Why: the first broken hop's sentence, or, when every hop looks right,
// what the probe itself saw, or, when the kernel's neighbour table was
// full while the probes ran (full), that. It reads nothing when every
// result reached. Needs root; any goroutine.
func explainWith(ctx context.Context, l *topology.Lab, hs *handles, res []probe.Result, full tableFull) {
	failed := false
	for _, r := range res {
		failed = failed || !r.Reached
	}
	if !failed {
		return
	}
	snap := snapshot(l, hs)
	for i := range res {
		if ctx.Err() != nil {
			return // interrupted: the results keep what the probes said
		}
		if !res[i].Reached {
			explainOne(snap, &res[i])
			if full.blames(res[i]) {
				res[i].Why = full.sentence(res[i].From)
			}
		}
	}
}

// explainOne fills r's Path and Why from the snapshot.
func explainOne(snap *explain.Lab, r *probe.Result) {
	if r.Reason == probe.ReasonError {
		r.Why = r.Error
		return
	}
	r.Path = explain.Walk(snap, r.From, r.Src, r.To)
	r.Why = WhyText(r.Path, *r)
}

// ExplainPair walks one pair, for topo ping: from the node from, with
// the source address src (invalid: as the kernel would choose), to dst.
// It enters only the namespaces the lab owns, and returns nil when the
// lab's records cannot be read.
func ExplainPair(l *topology.Lab, from string, src, dst netip.Addr) *explain.Path {
	_, own, err := loadOwnership(l.Name)
	if err != nil {
		return nil
	}
	hs := newHandles(own)
	defer hs.close()
	return explain.Walk(snapshot(l, hs), from, src, dst)
}
