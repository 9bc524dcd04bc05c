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
// tree of another kind than the one in place is built under the major
// the current root does not use and grafted at the root in one
// request, which the kernel does atomically and which destroys the old
// tree. A tree of the same kind is changed in place, keeping its
// handles. `tc qdisc show` prints them as 7470: and so on.
const (
	rootMajorA, rootMajorB = 0x7470, 0x7471
	leafMajorA, leafMajorB = 0x7472, 0x7473
	// htbClassMinor is the minor of the one class of topo's htb root.
	htbClassMinor = 1
)

// SetImpair gives the traffic leaving iface in ns the impairment m with
// topo's qdisc tree for m (see shape.go: tbf for a rate, netem for the
// rest, htb with netem below it for both). A root of the same kind is
// changed in place; another is replaced in one graft. nil or zero
// removes the root qdisc, whatever its kind (the root of an interface
// topo made is topo's: another kind was put there by hand), leaving the
// kernel default; "not found" is success. Setting the same m twice is
// harmless.
//
// When m needs netem and the kernel has none, it changes nothing and
// returns an error wrapping ErrNoNetem. If a later step of a new htb
// tree fails, the half-built tree is removed again. Callable from any
// goroutine; all requests go through ns.NL, no thread switches.
func SetImpair(ns *node.Namespace, iface string, m *topology.Impairment) error {
	where := ns.Name + ":" + iface
	l, err := ns.NL.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("impair %s: %w", where, err)
	}
	qs, err := node.RetryDump(func() ([]netlink.Qdisc, error) { return ns.NL.QdiscList(l) })
	if err != nil {
		return fmt.Errorf("impair %s: list qdiscs: %w", where, err)
	}
	t := tree{ns: ns, where: where, idx: l.Attrs().Index, qs: qs}
	for _, q := range qs {
		if a := q.Attrs(); a.Parent == netlink.HANDLE_ROOT && a.Handle != 0 && a.LinkIndex == t.idx {
			t.root = q
		}
	}
	if m.IsZero() {
		if err := deleteRoot(ns, t.root); err != nil {
			return fmt.Errorf("impair %s: remove qdisc: %w", where, err)
		}
		return nil
	}
	var nm *netemParams
	if m.NeedsNetem() {
		if ok, why := HaveNetem(); !ok {
			return fmt.Errorf("impair %s: %s: %w", where, why, ErrNoNetem)
		}
		p, err := netemFor(m)
		if err != nil {
			return fmt.Errorf("impair %s: %w", where, err)
		}
		nm = &p
	}
	if m.Rate == 0 {
		return t.setNetemRoot(*nm)
	}
	b := bucketFor(m.Rate, m.Queue, l.Attrs().MTU)
	if nm == nil && !b.HTB {
		return t.replace(&netlink.Tbf{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: t.idx, Handle: t.handleFor("tbf"), Parent: netlink.HANDLE_ROOT},
			Rate:       b.RateBytes,
			Buffer:     b.Buffer,
			Limit:      b.Limit,
		})
	}
	return t.setHTB(b, nm)
}

// tree is one interface's egress qdiscs as SetImpair found them.
type tree struct {
	ns    *node.Namespace
	where string // ns:iface, for errors
	idx   int
	qs    []netlink.Qdisc
	root  netlink.Qdisc // nil for the kernel's default
}

// handleFor is the root handle for a tree whose root is of kind: the
// current root's when it has that kind (a change in place), else the
// topo major the current root does not use.
func (t *tree) handleFor(kind string) uint32 {
	if t.root == nil {
		return netlink.MakeHandle(rootMajorA, 0)
	}
	if t.root.Type() == kind {
		return t.root.Attrs().Handle
	}
	if major, _ := netlink.MajorMinor(t.root.Attrs().Handle); major == rootMajorA {
		return netlink.MakeHandle(rootMajorB, 0)
	}
	return netlink.MakeHandle(rootMajorA, 0)
}

// setNetemRoot makes netem the root. Replacing a tree that holds a
// netem below its root takes two steps (remove, then add): a kernel
// refuses a duplicating netem next to another netem on one device, even
// for the instant before the graft.
func (t *tree) setNetemRoot(p netemParams) error {
	if t.root != nil && t.root.Type() != "netem" {
		for _, q := range t.qs {
			if q.Type() == "netem" {
				if err := deleteRoot(t.ns, t.root); err != nil {
					return fmt.Errorf("impair %s: remove qdisc: %w", t.where, err)
				}
				t.root = nil
				break
			}
		}
	}
	if n, ok := t.root.(*netlink.Netem); ok && needsFreshNetem(n, p) {
		if err := deleteRoot(t.ns, t.root); err != nil {
			return fmt.Errorf("impair %s: remove qdisc: %w", t.where, err)
		}
		t.root = nil
	}
	return t.replace(netemQdisc(t.idx, t.handleFor("netem"), netlink.HANDLE_ROOT, p))
}

// needsFreshNetem reports whether netem n cannot be changed in place
// to p: a change request leaves out a zero corruption or reordering
// probability, and the kernel then keeps the old value, so turning one
// off takes a new qdisc.
func needsFreshNetem(n *netlink.Netem, p netemParams) bool {
	return n.CorruptProb != 0 && p.Corrupt == 0 || n.ReorderProb != 0 && p.Reorder == 0
}

// setHTB makes (or changes in place) an htb root whose one class, also
// its default, limits to b's rate, with netem (if nm is set) as the
// class's leaf; without nm, the class keeps the kernel's default leaf.
// While a new tree's class is being made, the few packets sent pass
// unshaped.
func (t *tree) setHTB(b tokenBucket, nm *netemParams) (err error) {
	handle := t.handleFor("htb")
	major, _ := netlink.MajorMinor(handle)
	leafMajor := uint16(leafMajorA)
	if major == rootMajorB {
		leafMajor = leafMajorB
	}
	if _, inPlace := t.root.(*netlink.Htb); !inPlace {
		h := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: t.idx, Handle: handle, Parent: netlink.HANDLE_ROOT})
		h.Defcls = htbClassMinor
		if err := t.replace(h); err != nil {
			return err
		}
		t.root, t.qs = h, nil
		defer func() {
			if err != nil {
				err = errors.Join(err, deleteRoot(t.ns, h))
			}
		}()
	}
	class := &netlink.HtbClass{
		ClassAttrs: netlink.ClassAttrs{LinkIndex: t.idx, Handle: netlink.MakeHandle(major, htbClassMinor), Parent: handle},
		Rate:       b.RateBytes,
		Ceil:       b.RateBytes,
		Buffer:     b.Buffer,
		Cbuffer:    b.Buffer,
		// One class: its quantum only needs to hold a packet; the
		// kernel warns above 200000.
		Quantum: uint32(min(max(b.RateBytes/10, uint64(b.Burst)), 200000)),
	}
	if err := t.ns.NL.ClassReplace(class); err != nil {
		return fmt.Errorf("impair %s: htb class: %w", t.where, err)
	}
	var leaf netlink.Qdisc
	for _, q := range t.qs {
		if q.Attrs().Parent == class.Handle && q.Type() == "netem" {
			leaf = q
		}
	}
	switch {
	case nm == nil && leaf != nil:
		if err := t.ns.NL.QdiscDel(leaf); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("impair %s: remove netem: %w", t.where, err)
		}
		return nil
	case nm == nil:
		return nil
	case leaf != nil && !needsFreshNetem(leaf.(*netlink.Netem), *nm):
		return t.replace(netemQdisc(t.idx, leaf.Attrs().Handle, class.Handle, *nm))
	case leaf != nil:
		if err := t.ns.NL.QdiscDel(leaf); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("impair %s: remove netem: %w", t.where, err)
		}
	}
	return t.replace(netemQdisc(t.idx, netlink.MakeHandle(leafMajor, 0), class.Handle, *nm))
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

// replace creates or replaces q (in place when a qdisc with q's handle
// and kind exists). A kernel without q's kind answers ENOENT ("unknown
// qdisc kind"); for netem that wraps ErrNoNetem.
func (t *tree) replace(q netlink.Qdisc) error {
	err := t.ns.NL.QdiscReplace(q)
	switch {
	case err == nil:
		return nil
	case q.Type() == "netem" && isMissingKind(err):
		return fmt.Errorf("impair %s: this kernel has no netem qdisc (sch_netem): %w", t.where, ErrNoNetem)
	}
	return fmt.Errorf("impair %s: %s qdisc: %w", t.where, q.Type(), err)
}

// isMissingKind reports whether a qdisc request failed because the
// kernel does not know the qdisc's kind (ENOENT: "Specified qdisc kind
// is unknown").
func isMissingKind(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP)
}

// topoKinds are the root qdiscs SetImpair makes; a root of another kind
// was put there by hand (see foreignRoot).
var topoKinds = map[string]bool{"tbf": true, "htb": true, "netem": true}

// deleteRoot removes the root qdisc of one of topo's interfaces, of any
// kind: the root is topo's to set. nil or one already gone is success.
func deleteRoot(ns *node.Namespace, root netlink.Qdisc) error {
	if root == nil {
		return nil
	}
	err := ns.NL.QdiscDel(root)
	if err == nil || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	return err
}
