package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/topo-lab/topo/pkg/topology"
)

// stateVersion is bumped when the state file format changes.
const stateVersion = 1

// State is what topo remembers of a lab between runs, in
// /run/topo/LAB/state.json. It is only ever replaced whole (written
// to a temporary file and renamed), so a crash leaves the old or the
// new version, never a mix.
type State struct {
	Version int `json:"version"`
	// Lab is the desired state last applied. After a failed apply it
	// is the union of the old and new desired states, so nothing that
	// may exist is forgotten.
	Lab *topology.Lab `json:"lab"`
	// Namespaces maps every node whose namespace topo made (or is
	// making) to its nsfs inode; 0 while the namespace is being made.
	// It is the proof of ownership: topo never deletes or adopts a
	// namespace that is not listed here with a matching inode. Once
	// loaded, it changes only through an ownership (ownership.go).
	Namespaces map[string]uint64 `json:"namespaces"`
	// SysctlOriginal keeps, per node, a sysctl's value before topo
	// first changed it; sysctls with a lab default
	// (topology.NodeDefaults) go back to that instead and are not kept.
	SysctlOriginal map[string]map[string]string `json:"sysctlOriginal,omitempty"`
}

// ErrNoState means the lab has no state directory: it is not up.
var ErrNoState = errors.New("lab is not up")

// ErrDamaged means a lab's state file is not what topo writes (cut
// short, overwritten, from another version). Up rebuilds the state and
// Down removes the lab from the namespace records (see records.go).
var ErrDamaged = errors.New("state file is damaged")

// LoadState reads a lab's state. A missing file wraps ErrNoState; a
// damaged one wraps ErrDamaged and says what to do (never a panic).
func LoadState(lab string) (*State, error) {
	data, err := os.ReadFile(statePath(lab))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w", lab, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of lab %s: %w", lab, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, damaged(lab, err.Error())
	}
	if st.Version != stateVersion || st.Lab == nil {
		return nil, damaged(lab, fmt.Sprintf("unknown format version %d", st.Version))
	}
	if msg := st.check(lab); msg != "" {
		return nil, damaged(lab, msg)
	}
	if st.Namespaces == nil {
		st.Namespaces = map[string]uint64{}
	}
	return &st, nil
}

func damaged(lab, why string) error {
	return fmt.Errorf("lab %s: %w: %s (%s): `topo up FILE` rebuilds it from the namespaces topo recorded, `topo down %s` removes the lab", lab, ErrDamaged, statePath(lab), why, lab)
}

// check returns what makes a decoded state unusable, or "": names that
// are not names, links whose ends name no node of the lab.
func (st *State) check(lab string) string {
	if st.Lab.Name != lab {
		return fmt.Sprintf("it names lab %q", st.Lab.Name)
	}
	nodes := map[string]bool{}
	for _, n := range st.Lab.Nodes {
		if n == nil || !topology.ValidNodeName(n.Name) {
			return "a node without a valid name"
		}
		nodes[n.Name] = true
	}
	for _, l := range st.Lab.Links {
		if l == nil || !nodes[l.Ends[0].Node] || !nodes[l.Ends[1].Node] {
			return "a link between unknown nodes"
		}
	}
	for name := range st.Namespaces {
		if !topology.ValidNodeName(name) {
			return fmt.Sprintf("a namespace of node %q", name)
		}
	}
	return ""
}

// Save writes the state atomically: a temporary file in the same
// directory, then rename. The directory is 0700 and the file 0600.
func (st *State) Save() error {
	st.Version = stateVersion
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(statePath(st.Lab.Name), data, 0o600)
}

// stateTrouble says what is wrong with a state file LoadState could not
// use ("is missing", "is damaged"), for notes that go on to use the
// namespace records instead.
func stateTrouble(err error) string {
	if errors.Is(err, ErrDamaged) {
		return "is damaged"
	}
	return "is missing"
}

// writeAtomic replaces path with data so readers, and a topo killed
// at any point, see the old or the new content, never a part.
//
// It does not fsync. What is written under /run/topo describes kernel
// objects (namespaces, links) that do not outlive the machine, so the
// crash fsync guards against also takes away everything the file
// describes; and if a file is left empty by one, it reads as damaged or
// is skipped, never as wrong. The sync cost a disk flush per node on
// machines where /run is not a tmpfs.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Labs lists the labs that have state under Root, sorted.
func Labs() ([]string, error) {
	entries, err := os.ReadDir(Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !topology.ValidLabName(e.Name()) {
			continue
		}
		// A directory without a state file or namespace records holds no
		// lab: an up that was refused before it made anything (a foreign
		// namespace) leaves one.
		if _, err := os.Stat(statePath(e.Name())); err != nil {
			if recs, _ := recordedNamespaces(e.Name()); len(recs) == 0 {
				continue
			}
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out, nil
}

// pendingLab is what Up records before it applies plan: every node and
// link that may exist afterwards (mergeLabs), but with each node's exec
// commands as they last ran (none for a node the plan creates), so
// that an apply that fails or is interrupted before they ran leaves
// them for the next Up to run.
func pendingLab(applied, desired *topology.Lab, plan *topology.Plan) *topology.Lab {
	out := mergeLabs(applied, desired)
	created := map[string]bool{}
	for _, s := range plan.Steps {
		if s.Op == topology.OpCreateNode {
			created[s.Node] = true
		}
	}
	had := applied.NodesByName()
	for i, n := range out.Nodes {
		var ran []string
		if old := had[n.Name]; old != nil && old.Kind == n.Kind && !created[n.Name] {
			ran = old.Exec
		}
		if !slices.Equal(ran, n.Exec) {
			c := *n
			c.Exec = ran
			out.Nodes[i] = &c
		}
	}
	return out
}

// mergeLabs returns a lab holding every node and link of a and b (b's
// version where both have one): what may exist after a failed apply.
func mergeLabs(a, b *topology.Lab) *topology.Lab {
	if a == nil {
		return b
	}
	out := *b
	out.Nodes = append([]*topology.Node(nil), b.Nodes...)
	out.Links = append([]*topology.Link(nil), b.Links...)
	inB := b.NodesByName()
	for _, n := range a.Nodes {
		if inB[n.Name] == nil {
			out.Nodes = append(out.Nodes, n)
		}
	}
	have := map[string]bool{}
	for _, l := range b.Links {
		have[l.Ends[0].String()+"|"+l.Ends[1].String()] = true
		have[l.Ends[1].String()+"|"+l.Ends[0].String()] = true
	}
	for _, l := range a.Links {
		if !have[l.Ends[0].String()+"|"+l.Ends[1].String()] {
			out.Links = append(out.Links, l)
		}
	}
	return &out
}
