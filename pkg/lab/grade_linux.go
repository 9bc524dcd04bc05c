package lab

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// Grade checks a running lab l, built from any file, against an
// expectations file: each node it lists must exist in l, each address
// must be on one of the node's interfaces (read from the kernel, not
// from the lab's file), and each expectation must hold. A check that
// names a node l lacks fails with "no node X"; it never stops the
// others. Each check is worth the points the file gives it.
func Grade(ctx context.Context, l *topology.Lab, f *topology.ExpectFile, opts probe.ProberOptions) ([]Graded, error) {
	out := NotGraded(f, "")
	nodes := l.NodesByName()
	k := 0
	for _, n := range f.Nodes {
		g := &out[k]
		if nd := nodes[n.Name]; nd != nil {
			g.Holds, g.Why = true, "a "+string(nd.Kind)
			if nd.Kind == topology.KindHost && nd.Forward {
				g.Why = "a router"
			}
		} else {
			g.Why = "no node " + n.Name
		}
		k++
	}
	if len(f.Addresses) > 0 {
		held, err := heldAddresses(ctx, l, f.Addresses)
		if err != nil {
			return nil, err
		}
		for _, a := range f.Addresses {
			out[k].Holds, out[k].Why = judgeAddress(nodes, held, a)
			k++
		}
	}
	res, err := checkExpect(ctx, l, f.Expect, opts)
	if err != nil {
		return nil, err
	}
	for i := range f.Expect {
		g := &out[k]
		g.Holds, g.Why, g.Detail, g.Result = res[i].Holds, res[i].Why, res[i].Detail, &res[i]
		k++
	}
	for i := range out {
		if out[i].Holds {
			out[i].Earned = out[i].Points
		}
	}
	return out, nil
}

// heldAddresses reads the addresses of the nodes the checks name, by
// node and interface; a node the lab lacks, or that cannot be read, is
// left out (judgeAddress says why).
func heldAddresses(ctx context.Context, l *topology.Lab, checks []topology.AddressCheck) (map[string]map[string][]netip.Prefix, error) {
	_, own, err := loadOwnership(l.Name)
	if err != nil {
		return nil, err
	}
	hs := newHandles(own)
	defer hs.close()
	var names []string
	seen := map[string]bool{}
	for _, c := range checks {
		if !seen[c.Node] && l.Node(c.Node) != nil && l.Node(c.Node).Kind == topology.KindHost {
			seen[c.Node] = true
			names = append(names, c.Node)
		}
	}
	held := make([]map[string][]netip.Prefix, len(names))
	_ = parallel(ctx, len(names), func(i int) error {
		ns, release, err := hs.use(names[i])
		if err != nil {
			return err
		}
		defer release()
		ifs, err := probe.ReadInterfaces(ns)
		if err != nil {
			return err
		}
		byIndex := map[int]string{}
		for _, lk := range ifs.Links {
			byIndex[lk.Attrs().Index] = lk.Attrs().Name
		}
		m := map[string][]netip.Prefix{}
		for _, a := range ifs.Addrs {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok || a.IPNet == nil {
				continue
			}
			ones, _ := a.IPNet.Mask.Size()
			name := byIndex[a.LinkIndex]
			m[name] = append(m[name], netip.PrefixFrom(ip.Unmap(), ones))
		}
		held[i] = m
		return nil
	})
	out := map[string]map[string][]netip.Prefix{}
	for i, n := range names {
		if held[i] != nil {
			out[n] = held[i]
		}
	}
	return out, nil
}

// judgeAddress says whether a node holds an address.
func judgeAddress(nodes map[string]*topology.Node, held map[string]map[string][]netip.Prefix, c topology.AddressCheck) (bool, string) {
	n := nodes[c.Node]
	switch {
	case n == nil:
		return false, "no node " + c.Node
	case n.Kind != topology.KindHost:
		return false, fmt.Sprintf("%s is a %s in this lab: it holds no address", c.Node, n.Kind)
	case held[c.Node] == nil:
		return false, "cannot read the addresses of " + c.Node
	}
	var all []string
	for iface, ps := range held[c.Node] {
		for _, p := range ps {
			if p.Addr() == c.Prefix.Addr() && (c.Bare || p.Bits() == c.Prefix.Bits()) {
				return true, "on " + iface
			}
			if iface != "lo" && !p.Addr().IsLinkLocalUnicast() {
				all = append(all, p.String()+" on "+iface)
			}
		}
	}
	if len(all) == 0 {
		return false, c.Node + " has no address"
	}
	sort.Strings(all)
	return false, c.Node + " has " + strings.Join(all, ", ")
}
