package link

import (
	"errors"
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Handle majors of topo's egress trees. Two of each, alternated: a
// new tree is built under the major the current root does not use and
// grafted at the root in one request, which the kernel does atomically
// even when the kind changes (tbf -> htb), and which destroys the old
// tree. `tc qdisc show` prints them as 7470: and so on.
const (
	rootMajorA, rootMajorB = 0x7470, 0x7471
	leafMajorA, leafMajorB = 0x7472, 0x7473
	// htbClassMinor is the minor of the one class of topo's htb root.
	htbClassMinor = 1
)

// SetImpair gives the traffic leaving iface in ns the impairment m by
// replacing the interface's root qdisc with topo's tree for m (see
// shape.go: tbf for a rate, netem for the rest, htb with netem below
// it for both). nil or zero removes topo's root qdisc (tbf, htb or
// netem), leaving the kernel default; "not found" is success. Setting
// the same m twice is harmless.
//
// When m needs netem and the kernel has none, it changes nothing and
// returns an error wrapping ErrNoNetem. If a later step of the htb tree
// fails, the half-built tree is removed again. Callable from any
// goroutine; all requests go through ns.NL, no thread switches.
func SetImpair(ns *node.Namespace, iface string, m *topology.Impairment) error {
	where := ns.Name + ":" + iface
	l, err := ns.NL.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("impair %s: %w", where, err)
	}
	root, err := rootQdisc(ns, l)
	if err != nil {
		return fmt.Errorf("impair %s: %w", where, err)
	}
	if m.IsZero() {
		if err := deleteRoot(ns, root); err != nil {
			return fmt.Errorf("impair %s: remove qdisc: %w", where, err)
		}
		return nil
	}
	if m.NeedsNetem() {
		if ok, why := HaveNetem(); !ok {
			return fmt.Errorf("impair %s: %s: %w", where, why, ErrNoNetem)
		}
	}
	var nm *netemParams
	if m.NeedsNetem() {
		p, err := netemFor(m)
		if err != nil {
			return fmt.Errorf("impair %s: %w", where, err)
		}
		nm = &p
	}
	major, leaf := uint16(rootMajorA), uint16(leafMajorA)
	if root != nil {
		if mj, _ := netlink.MajorMinor(root.Attrs().Handle); mj == rootMajorA {
			major, leaf = rootMajorB, leafMajorB
		}
	}
	idx := l.Attrs().Index
	if m.Rate == 0 {
		return replace(ns, where, netemQdisc(idx, netlink.MakeHandle(major, 0), netlink.HANDLE_ROOT, *nm))
	}
	b := bucketFor(m.Rate, m.Queue, l.Attrs().MTU)
	if nm == nil && !b.HTB {
		return replace(ns, where, &netlink.Tbf{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: idx, Handle: netlink.MakeHandle(major, 0), Parent: netlink.HANDLE_ROOT},
			Rate:       b.RateBytes,
			Buffer:     b.Buffer,
			Limit:      b.Limit,
		})
	}
	return setHTB(ns, where, idx, major, leaf, b, nm)
}

// setHTB grafts an htb root whose one class (also its default) limits
// to b's rate, then puts netem (if nm is set) below the class. Until
// the class exists, the few packets sent meanwhile pass unshaped.
func setHTB(ns *node.Namespace, where string, idx int, major, leaf uint16, b tokenBucket, nm *netemParams) (err error) {
	h := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: idx, Handle: netlink.MakeHandle(major, 0), Parent: netlink.HANDLE_ROOT})
	h.Defcls = htbClassMinor
	if err := replace(ns, where, h); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, deleteRoot(ns, h))
		}
	}()
	class := &netlink.HtbClass{
		ClassAttrs: netlink.ClassAttrs{LinkIndex: idx, Handle: netlink.MakeHandle(major, htbClassMinor), Parent: h.Handle},
		Rate:       b.RateBytes,
		Ceil:       b.RateBytes,
		Buffer:     b.Buffer,
		Cbuffer:    b.Buffer,
		// One class: its quantum only needs to hold a packet; the
		// kernel warns above 200000.
		Quantum: uint32(min(max(b.RateBytes/10, uint64(b.Burst)), 200000)),
	}
	if err := ns.NL.ClassReplace(class); err != nil {
		return fmt.Errorf("impair %s: htb class: %w", where, err)
	}
	if nm == nil {
		return nil
	}
	return replace(ns, where, netemQdisc(idx, netlink.MakeHandle(leaf, 0), class.Handle, *nm))
}

func netemQdisc(idx int, handle, parent uint32, p netemParams) *netlink.Netem {
	return &netlink.Netem{
		QdiscAttrs:  netlink.QdiscAttrs{LinkIndex: idx, Handle: handle, Parent: parent},
		Latency:     p.Latency,
		Jitter:      p.Jitter,
		Limit:       p.Limit,
		Loss:        p.Loss,
		Gap:         p.Gap,
		Duplicate:   p.Duplicate,
		ReorderProb: p.Reorder,
		CorruptProb: p.Corrupt,
	}
}

// replace creates or replaces q. A kernel without q's kind answers
// ENOENT ("unknown qdisc kind"); for netem that wraps ErrNoNetem.
func replace(ns *node.Namespace, where string, q netlink.Qdisc) error {
	err := ns.NL.QdiscReplace(q)
	switch {
	case err == nil:
		return nil
	case q.Type() == "netem" && isMissingKind(err):
		return fmt.Errorf("impair %s: this kernel has no netem qdisc (sch_netem): %w", where, ErrNoNetem)
	}
	return fmt.Errorf("impair %s: %s qdisc: %w", where, q.Type(), err)
}

// isMissingKind reports whether a qdisc request failed because the
// kernel does not know the qdisc's kind (ENOENT: "Specified qdisc kind
// is unknown").
func isMissingKind(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP)
}

// topoKinds are the root qdiscs SetImpair makes, and so may remove.
var topoKinds = map[string]bool{"tbf": true, "htb": true, "netem": true}

// rootQdisc returns the interface's root qdisc, or nil for the
// kernel's default (handle 0, such as a veth's noqueue).
func rootQdisc(ns *node.Namespace, l netlink.Link) (netlink.Qdisc, error) {
	qs, err := node.RetryDump(func() ([]netlink.Qdisc, error) { return ns.NL.QdiscList(l) })
	if err != nil {
		return nil, fmt.Errorf("list qdiscs: %w", err)
	}
	for _, q := range qs {
		if a := q.Attrs(); a.Parent == netlink.HANDLE_ROOT && a.Handle != 0 && a.LinkIndex == l.Attrs().Index {
			return q, nil
		}
	}
	return nil, nil
}

// deleteRoot removes root when it is one of topo's kinds; nil, another
// kind or one already gone is success.
func deleteRoot(ns *node.Namespace, root netlink.Qdisc) error {
	if root == nil || !topoKinds[root.Type()] {
		return nil
	}
	err := ns.NL.QdiscDel(root)
	if err == nil || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}
