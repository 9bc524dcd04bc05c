package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// damaged one wraps ErrDamaged and says what to do (never a panic). A
// state directory that is not safe to use is refused (ErrUnsafeState).
func LoadState(lab string) (*State, error) {
	data, err := readLabFile(lab, stateFile)
	return parseState(lab, data, err)
}

// loadStateIn is LoadState in the lab's state directory, open as dir.
func loadStateIn(dir *os.File, lab string) (*State, error) {
	data, err := readFileIn(dir, stateFile)
	return parseState(lab, data, err)
}

// parseState decodes what was read of a lab's state file (data, or the
// error reading it), as LoadState says.
func parseState(lab string, data []byte, err error) (*State, error) {
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
		if l == nil || !nodes[l.Ends[0].Node] || !nodes[l.Ends[1].Node] && l.Tunnel == nil {
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

// Save writes the state atomically (see writeFileIn): the directory is
// 0700 and the file 0600.
func (st *State) Save() error {
	st.Version = stateVersion
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeLabFile(st.Lab.Name, stateFile, data, 0o600)
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

// Labs lists the labs that have state under Root, sorted. A lab whose
// directory is not safe to use is listed (using it says why).
func Labs() ([]string, error) {
	root, err := openRoot(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	entries, err := root.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !topology.ValidLabName(e.Name()) {
			continue
		}
		if hasLab(root, e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// hasLab reports whether the directory name of root holds a lab: a
// state file or namespace records. An up that was refused before it
// made anything leaves none; a directory topo cannot use safely counts.
func hasLab(root *os.File, name string) bool {
	dir, err := openSubdir(root, name, false)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	defer dir.Close()
	if existsIn(dir, stateFile) {
		return true
	}
	recs, _ := recordedNamespaces(name)
	return len(recs) > 0
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
