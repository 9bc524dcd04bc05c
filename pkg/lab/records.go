package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Each namespace topo makes has a record of its own next to the state
// file: /run/topo/LAB/ns/NODE holding the namespace's nsfs inode,
// written (atomically) as soon as the namespace exists and removed once
// it is deleted. It is the same proof of ownership as State.Namespaces,
// kept apart so that it survives a damaged state file: down can then
// still remove exactly the namespaces whose inode matches, and up can
// rebuild the state from the records and the file.

func recordsDir(lab string) string { return filepath.Join(Dir(lab), "ns") }

func recordPath(lab, nodeName string) string { return filepath.Join(recordsDir(lab), nodeName) }

// recordNamespace writes the record of a node's namespace.
func recordNamespace(lab, nodeName string, inode uint64) error {
	if err := writeAtomic(recordPath(lab, nodeName), []byte(strconv.FormatUint(inode, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("record namespace of node %s: %w", nodeName, err)
	}
	return nil
}

// forgetNamespace removes the record of a node's namespace.
func forgetNamespace(lab, nodeName string) error {
	if err := os.Remove(recordPath(lab, nodeName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("forget namespace of node %s: %w", nodeName, err)
	}
	return nil
}

// recordedNamespaces reads a lab's records: node -> inode. Entries that
// are not a node name holding an inode are skipped: they prove nothing.
func recordedNamespaces(lab string) (map[string]uint64, error) {
	entries, err := os.ReadDir(recordsDir(lab))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]uint64{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !topology.ValidNodeName(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(recordsDir(lab), e.Name()))
		if err != nil {
			continue
		}
		inode, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || inode == 0 {
			continue
		}
		out[e.Name()] = inode
	}
	return out, nil
}

// syncRecords writes the record of every namespace the state knows the
// inode of and that has none (or a different one): namespaces adopted
// after an interrupted create, and labs built before records existed.
func syncRecords(st *State) error {
	have, err := recordedNamespaces(st.Lab.Name)
	if err != nil {
		return err
	}
	for nodeName, inode := range st.Namespaces {
		if inode != 0 && have[nodeName] != inode {
			if err := recordNamespace(st.Lab.Name, nodeName, inode); err != nil {
				return err
			}
		}
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
