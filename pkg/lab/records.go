package lab

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Next to the state file, /run/topo/LAB/namespaces is a journal of the
// namespaces topo made for the lab: a line "NODE INODE" is appended as
// soon as a node's namespace exists, and "NODE 0" once it is deleted;
// the last line of a node wins. It is the same proof of ownership as
// State.Namespaces, kept apart so that it survives a damaged state
// file: down can then still remove exactly the namespaces whose inode
// matches, and up can rebuild the state from the journal and the file.
//
// One journal per lab, appended to with one write per line, rather
// than a file per node: creating a file costs an inode allocation,
// which on a disk-backed /run grows slow after many deletions.

func recordsPath(lab string) string { return filepath.Join(Dir(lab), "namespaces") }

// recordNamespace appends the record of a node's namespace.
func recordNamespace(lab, nodeName string, inode uint64) error {
	if err := appendRecord(lab, nodeName, inode); err != nil {
		return fmt.Errorf("record namespace of node %s: %w", nodeName, err)
	}
	return nil
}

// forgetNamespace appends that a node's namespace is gone.
func forgetNamespace(lab, nodeName string) error {
	if err := appendRecord(lab, nodeName, 0); err != nil {
		return fmt.Errorf("forget namespace of node %s: %w", nodeName, err)
	}
	return nil
}

// appendRecord adds one line to the journal in a single write, so that
// concurrent writers (O_APPEND) and a kill never mix or cut lines; a
// line without its newline is ignored by readers anyway.
func appendRecord(lab, nodeName string, inode uint64) error {
	if err := os.MkdirAll(Dir(lab), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(recordsPath(lab), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(nodeName + " " + strconv.FormatUint(inode, 10) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// recordedNamespaces replays a lab's journal: node -> inode of every
// namespace recorded and not forgotten since. Lines that do not name a
// node with an inode prove nothing and are skipped.
func recordedNamespaces(lab string) (map[string]uint64, error) {
	out, _, err := readRecords(lab)
	return out, err
}

// readRecords is recordedNamespaces, also counting the journal's lines.
func readRecords(lab string) (map[string]uint64, int, error) {
	f, err := os.Open(recordsPath(lab))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]uint64{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	out := map[string]uint64{}
	lines := 0
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil { // EOF, or a last line cut short: ignored
			break
		}
		lines++
		nodeName, num, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok || !topology.ValidNodeName(nodeName) {
			continue
		}
		inode, err := strconv.ParseUint(num, 10, 64)
		switch {
		case err != nil:
		case inode == 0:
			delete(out, nodeName)
		default:
			out[nodeName] = inode
		}
	}
	return out, lines, nil
}

// syncRecords makes the journal say exactly what the state knows: it
// rewrites it (atomically, compacted) when a namespace with a known
// inode is missing from it or recorded with another inode (namespaces
// adopted after an interrupted create), and when it has grown to more
// than twice the lines it needs. Namespaces the journal knows and the
// state does not stay: the state may be behind (see fillFromRecords).
func syncRecords(st *State) error {
	have, lines, err := readRecords(st.Lab.Name)
	if err != nil {
		return err
	}
	want := map[string]uint64{}
	for nodeName, inode := range have {
		want[nodeName] = inode
	}
	stale := false
	for nodeName, inode := range st.Namespaces {
		if inode != 0 && have[nodeName] != inode {
			want[nodeName] = inode
			stale = true
		}
	}
	if !stale && lines <= 2*len(want)+16 {
		return nil
	}
	return writeRecords(st.Lab.Name, want)
}

// writeRecords replaces the journal with one line per namespace.
func writeRecords(lab string, namespaces map[string]uint64) error {
	names := make([]string, 0, len(namespaces))
	for n := range namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d\n", n, namespaces[n])
	}
	if err := writeAtomic(recordsPath(lab), []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("rewrite %s: %w", recordsPath(lab), err)
	}
	return nil
}

// fillFromRecords gives each namespace the state lists as being made
// (inode 0) the inode its record holds: the state is saved once per
// phase, the record as soon as the namespace exists, so after a kill
// mid-phase the record knows more.
func fillFromRecords(st *State) error {
	recs, err := recordedNamespaces(st.Lab.Name)
	if err != nil {
		return err
	}
	for nodeName, inode := range st.Namespaces {
		if inode == 0 && recs[nodeName] != 0 {
			st.Namespaces[nodeName] = recs[nodeName]
		}
	}
	return nil
}

// recoverState rebuilds the state of a lab whose state file is damaged
// or missing from its records: the namespaces are those recorded, and
// the lab last applied holds one node per record (desired's version
// when it has the node, else a host). desired may be nil (down).
// ok is false when there is no record.
func recoverState(lab string, desired *topology.Lab) (st *State, ok bool, err error) {
	recs, err := recordedNamespaces(lab)
	if err != nil || len(recs) == 0 {
		return nil, false, err
	}
	applied := &topology.Lab{Name: lab}
	for nodeName := range recs {
		var n *topology.Node
		if desired != nil {
			n = desired.Node(nodeName)
		}
		if n == nil {
			n = &topology.Node{Name: nodeName, Kind: topology.KindHost}
		}
		applied.Nodes = append(applied.Nodes, n)
	}
	return &State{Version: stateVersion, Lab: applied, Namespaces: recs}, true, nil
}
