package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
// Only the ownership type (ownership.go) writes it.
//
// One journal per lab, appended to with one write per line, rather
// than a file per node: creating a file costs an inode allocation,
// which on a disk-backed /run grows slow after many deletions.

func recordsPath(lab string) string { return filepath.Join(Dir(lab), recordsFile) }

// appendRecord adds one line to the journal in a single write, so that
// concurrent writers (O_APPEND) and a kill never mix or cut lines; a
// line without its newline is ignored by readers anyway.
func appendRecord(lab, nodeName string, inode uint64) error {
	return appendLabFile(lab, recordsFile, []byte(nodeName+" "+strconv.FormatUint(inode, 10)+"\n"))
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
	data, err := readLabFile(lab, recordsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]uint64{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	out, lines := replayRecords(bytes.NewReader(data))
	return out, lines, nil
}

// lastRecord is what a journal's last whole line about nodeName says:
// the inode of its namespace, 0 once forgotten; ok is false when no
// line names it. The same answer as replayRecords for that node.
func lastRecord(journal []byte, nodeName string) (inode uint64, ok bool) {
	prefix := []byte(nodeName + " ")
	for len(journal) > 0 {
		nl := bytes.IndexByte(journal, '\n')
		if nl < 0 {
			break // a last line cut short proves nothing
		}
		line := journal[:nl]
		journal = journal[nl+1:]
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		if n, err := strconv.ParseUint(string(line[len(prefix):]), 10, 64); err == nil {
			inode, ok = n, true
		}
	}
	return inode, ok
}

// replayRecords reads a journal: node -> inode of every namespace
// recorded and not forgotten since, and the number of whole lines. A
// last line cut short (no newline: the write was interrupted), and
// lines that do not name a node with an inode, prove nothing and are
// skipped.
func replayRecords(r io.Reader) (map[string]uint64, int) {
	out := map[string]uint64{}
	lines := 0
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
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
	return out, lines
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
	if err := writeLabFile(lab, recordsFile, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("rewrite %s: %w", recordsPath(lab), err)
	}
	return nil
}
