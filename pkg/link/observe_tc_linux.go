package link

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
)

// observeImpairs reads back, for each interface of ifaces (by index),
// the impairment its egress qdiscs apply: one qdisc dump for the whole
// namespace, plus a class dump for an interface whose root is htb.
// Interfaces with the kernel's default qdisc (or a root topo does not
// make) get nil.
func observeImpairs(ns *node.Namespace, ifaces map[int]*topology.ObservedIface) error {
	qs, err := node.RetryDump(func() ([]netlink.Qdisc, error) { return ns.NL.QdiscList(nil) })
	if err != nil {
		return fmt.Errorf("%s: list qdiscs: %w", ns.Name, err)
	}
	byLink := map[int][]netlink.Qdisc{}
	for _, q := range qs {
		byLink[q.Attrs().LinkIndex] = append(byLink[q.Attrs().LinkIndex], q)
	}
	for idx, i := range ifaces {
		m, err := impairOf(ns, idx, i.MTU, byLink[idx])
		if err != nil {
			return fmt.Errorf("%s:%s: %w", ns.Name, i.Name, err)
		}
		i.Impair = m
		i.ForeignQdisc = foreignRoot(byLink[idx])
	}
	return nil
}

// impairOf maps one interface's qdiscs back to an impairment.
func impairOf(ns *node.Namespace, idx, mtu int, qs []netlink.Qdisc) (*topology.Impairment, error) {
	var root netlink.Qdisc
	for _, q := range qs {
		if a := q.Attrs(); a.Parent == netlink.HANDLE_ROOT && a.Handle != 0 {
			root = q
		}
	}
	m := &topology.Impairment{}
	switch r := root.(type) {
	case *netlink.Tbf:
		m.Rate = r.Rate * 8
		m.Queue = queueFromLimit(r.Limit, mtu)
	case *netlink.Netem:
		fromNetem(m, netemOf(r))
	case *netlink.Htb:
		classes, err := node.RetryDump(func() ([]netlink.Class, error) {
			return ns.NL.ClassList(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: idx}}, r.Handle)
		})
		if err != nil {
			return nil, fmt.Errorf("list htb classes: %w", err)
		}
		for _, c := range classes {
			if hc, ok := c.(*netlink.HtbClass); ok && hc.Handle == r.Handle|htbClassMinor {
				m.Rate = hc.Rate * 8
				for _, q := range qs {
					if n, ok := q.(*netlink.Netem); ok && n.Parent == hc.Handle {
						fromNetem(m, netemOf(n))
					}
				}
			}
		}
	default:
		return nil, nil
	}
	return m, nil
}

// foreignRoot is the kind of the interface's root qdisc when it is not
// one topo makes (tbf, htb, netem); "" otherwise or with none.
func foreignRoot(qs []netlink.Qdisc) string {
	for _, q := range qs {
		if a := q.Attrs(); a.Parent == netlink.HANDLE_ROOT && a.Handle != 0 && !topoKinds[q.Type()] {
			return q.Type()
		}
	}
	return ""
}

func netemOf(n *netlink.Netem) netemParams {
	return netemParams{
		Latency: n.Latency, Jitter: n.Jitter, Limit: n.Limit,
		Loss: n.Loss, Corrupt: n.CorruptProb, Duplicate: n.Duplicate, Reorder: n.ReorderProb, Gap: n.Gap,
	}
}
