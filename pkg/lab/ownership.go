package lab

import (
	"fmt"
	"sort"
	"sync"

	"github.com/topo-lab/topo/pkg/topology"
)

// Which namespaces are a lab's own is kept in two stores: the state's
// Namespaces (saved with the state file, at the end of each phase) and
// the journal (records.go, appended to the moment a namespace is made
// or removed). The journal survives a damaged state file; the state
// file says what was claimed before anything was made. This file is
// the only code that changes either.

// ownership is the lab's proof of ownership of its namespaces while
// topo works on it: node -> nsfs inode, 0 while the namespace is being
// made (claimed). A claim is saved in the state file at once; a
// namespace made, adopted or removed reaches the journal at once and
// the state file at the next save. It is safe for concurrent use.
type ownership struct {
	lab string
	mu  sync.Mutex // guards st.Namespaces, also while saving
	st  *State
}

// ownershipOf takes charge of st's namespaces; from then on they
// change only through the ownership.
func ownershipOf(st *State) *ownership {
	if st.Namespaces == nil {
		st.Namespaces = map[string]uint64{}
	}
	return &ownership{lab: st.Lab.Name, st: st}
}

// claim marks the nodes not yet the lab's as being made and saves the
// state, before any of their namespaces exists: a topo killed while it
// makes them leaves names that are the lab's, so the next up adopts
// them and down removes them.
func (o *ownership) claim(nodes []string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range nodes {
		if _, ok := o.st.Namespaces[n]; !ok {
			o.st.Namespaces[n] = 0
		}
	}
	return o.st.Save()
}

// unclaim takes back the claim on a node whose namespace could not be
// made because its name was taken meanwhile: what holds the name is not
// the lab's, and a claim left behind would let the next up adopt it. A
// node already recorded is left as it is.
func (o *ownership) unclaim(node string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if rec, ok := o.st.Namespaces[node]; ok && rec == 0 {
		delete(o.st.Namespaces, node)
	}
}

// record notes that node's namespace was made with inode: in the
// journal at once, in the state file at the next save.
func (o *ownership) record(node string, inode uint64) error {
	o.mu.Lock()
	o.st.Namespaces[node] = inode
	o.mu.Unlock()
	return journal(o.lab, node, inode)
}

// adopt records the namespace found with inode for a node that was
// claimed but not recorded: topo made it, then was stopped before it
// could say so. A node that is not claimed is not adopted.
func (o *ownership) adopt(node string, inode uint64) error {
	o.mu.Lock()
	rec, ok := o.st.Namespaces[node]
	if ok && rec == 0 {
		o.st.Namespaces[node] = inode
	}
	o.mu.Unlock()
	if !ok || rec != 0 {
		return fmt.Errorf("adopt namespace of node %s: it is not claimed (the lab's: %t, inode %d)", node, ok, rec)
	}
	return journal(o.lab, node, inode)
}

// journal appends the record of node's namespace made with inode.
// Appends need no lock (see appendRecord), so nodes made in parallel
// do not wait for each other's.
func journal(lab, node string, inode uint64) error {
	if err := appendRecord(lab, node, inode); err != nil {
		return fmt.Errorf("record namespace of node %s: %w", node, err)
	}
	return nil
}

// forget notes that node's namespace is gone: in the journal at once,
// and then in the state. When the journal cannot be written the node
// stays the lab's, so a later run still knows the name.
func (o *ownership) forget(node string) error {
	if err := appendRecord(o.lab, node, 0); err != nil {
		return fmt.Errorf("forget namespace of node %s: %w", node, err)
	}
	o.mu.Lock()
	delete(o.st.Namespaces, node)
	o.mu.Unlock()
	return nil
}

// inode is node's recorded inode (0 while claimed) and whether the
// node is the lab's at all.
func (o *ownership) inode(node string) (uint64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec, ok := o.st.Namespaces[node]
	return rec, ok
}

// owns reports whether node's namespace, found with inode, is the
// lab's own (see ownsInode).
func (o *ownership) owns(node string, inode uint64) bool {
	rec, ok := o.inode(node)
	return ok && ownsInode(rec, inode)
}

// ownsInode reports whether a namespace found with inode is the one
// recorded as rec: the same inode, or any while it is only claimed
// (rec 0), since topo made whatever has the name before it could
// record the inode.
func ownsInode(rec, found uint64) bool {
	return rec == 0 || rec == found
}

// nodes lists the lab's nodes (made or claimed), sorted.
func (o *ownership) nodes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.st.Namespaces))
	for n := range o.st.Namespaces {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// save writes the state file. The caller keeps the rest of the state
// still meanwhile.
func (o *ownership) save() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.st.Save()
}

// sync makes the journal say at least what the state knows, and
// compacts it once it has grown to more than twice the lines it needs
// (see journalFor). Namespaces only the journal knows stay in it: the
// state may be behind (see fillFromRecords).
func (o *ownership) sync() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	have, lines, err := readRecords(o.lab)
	if err != nil {
		return err
	}
	if want, rewrite := journalFor(have, lines, o.st.Namespaces); rewrite {
		return writeRecords(o.lab, want)
	}
	return nil
}

// journalFor is what the journal should hold, given what it holds
// (have, in lines) and the state's namespaces: have, plus every inode
// the state knows and have lacks or holds another of. rewrite says
// whether that differs from have or lines is over twice what it needs.
func journalFor(have map[string]uint64, lines int, state map[string]uint64) (want map[string]uint64, rewrite bool) {
	want = make(map[string]uint64, len(have))
	for n, inode := range have {
		want[n] = inode
	}
	stale := false
	for n, inode := range state {
		if inode != 0 && have[n] != inode {
			want[n] = inode
			stale = true
		}
	}
	return want, stale || lines > 2*len(want)+16
}

// fillFromRecords gives each namespace the state lists as claimed the
// inode its journal record holds: the state is saved once per phase,
// the record as soon as the namespace exists, so after a kill mid-phase
// the journal knows more. It is part of loading a state, before an
// ownership takes charge of it.
func fillFromRecords(st *State) error {
	recs, err := recordedNamespaces(st.Lab.Name)
	if err != nil {
		return err
	}
	fillClaims(st.Namespaces, recs)
	return nil
}

// fillClaims sets each claimed (0) entry of state that recs records.
func fillClaims(state, recs map[string]uint64) {
	for n, inode := range state {
		if inode == 0 && recs[n] != 0 {
			state[n] = recs[n]
		}
	}
}

// recoverState rebuilds the state of a lab whose state file is damaged
// or missing from its journal (see stateFromRecords). desired may be
// nil (down). ok is false when nothing is recorded.
func recoverState(lab string, desired *topology.Lab) (st *State, ok bool, err error) {
	recs, err := recordedNamespaces(lab)
	if err != nil || len(recs) == 0 {
		return nil, false, err
	}
	return stateFromRecords(lab, recs, desired), true, nil
}

// stateFromRecords is the state of a lab known only by its journal's
// records: the namespaces are those recorded, and the lab last applied
// holds one node per record, desired's version when it has the node
// (desired may be nil), else a host.
func stateFromRecords(lab string, recs map[string]uint64, desired *topology.Lab) *State {
	applied := &topology.Lab{Name: lab}
	names := make([]string, 0, len(recs))
	for n := range recs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		var n *topology.Node
		if desired != nil {
			n = desired.Node(name)
		}
		if n == nil {
			n = &topology.Node{Name: name, Kind: topology.KindHost}
		}
		applied.Nodes = append(applied.Nodes, n)
	}
	return &State{Version: stateVersion, Lab: applied, Namespaces: recs}
}
