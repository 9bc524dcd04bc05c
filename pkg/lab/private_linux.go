package lab

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// A node's private paths live in the lab's state directory, under
// nodes/NODE/ at the path they stand for (nodes/web1/var/www). They are
// made by write-files and bound over the machine's paths for every
// process topo starts in the node (see node.Bind), so each node sees
// its own, and the machine's files are never written. down removes
// them with the rest of the state.

// openNodeRoot opens nodes/NODE of a lab's state directory as an
// os.Root, so that nothing a node's processes left there (a symbolic
// link) leads topo out of it.
func openNodeRoot(dir *os.File, nodeName string, create bool) (*os.Root, error) {
	nodes, err := openSubdir(dir, nodesDirName, create)
	if err != nil {
		return nil, err
	}
	defer nodes.Close()
	nd, err := openSubdir(nodes, nodeName, create)
	if err != nil {
		return nil, err
	}
	defer nd.Close()
	return os.OpenRoot(nd.Name())
}

// hasPrivate reports whether the node has private paths in the lab's
// state directory dir (write-files made nodes/NODE); false for a name
// that cannot be a node's.
func hasPrivate(dir *os.File, nodeName string) bool {
	return topology.ValidNodeName(nodeName) && existsIn(dir, nodesDirName+"/"+nodeName)
}

// rel is p (absolute) as a path inside a node's root.
func rel(p string) string { return strings.TrimPrefix(p, "/") }

// writeFiles makes a node's private paths (kept if they exist) and
// writes its files.
func (x *executor) writeFiles(name string) error {
	n := x.nodes[name]
	dir, err := openLabDir(x.lab.Name, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	root, err := openNodeRoot(dir, name, true)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range n.PrivatePaths() {
		if _, isFile := n.Files[p]; isFile {
			continue
		}
		if err := root.MkdirAll(rel(p), 0o755); err != nil {
			return fmt.Errorf("node %s: private path %s: %w", name, p, err)
		}
	}
	for p, content := range n.Files {
		if err := root.MkdirAll(rel(filepath.Dir(p)), 0o755); err != nil {
			return fmt.Errorf("node %s: file %s: %w", name, p, err)
		}
		if err := root.WriteFile(rel(p), []byte(content), 0o644); err != nil {
			return fmt.Errorf("node %s: file %s: %w", name, p, err)
		}
	}
	return chownFRR(root, n)
}

// chownFRR gives the FRR paths of a router to the frr user its daemons
// run as (they drop root's privileges), as Debian's package does.
func chownFRR(root *os.Root, n *topology.Node) error {
	u, err := user.Lookup("frr")
	if err != nil {
		return nil // no FRR: routing.Check said so already
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range n.PrivatePaths() {
		if !slices.Contains(topology.FRRPrivate, p) {
			continue
		}
		if err := root.Chown(rel(p), uid, gid); err != nil {
			return fmt.Errorf("node %s: %s: %w", n.Name, p, err)
		}
		for f := range n.Files {
			if filepath.Dir(f) == p {
				if err := root.Chown(rel(f), uid, gid); err != nil {
					return fmt.Errorf("node %s: %s: %w", n.Name, f, err)
				}
			}
		}
	}
	return nil
}

// openPrivate opens the sources of a node's private paths, for
// node.Start to bind. The caller closes them (closeBinds).
func openPrivate(dir *os.File, n *topology.Node) ([]node.Bind, error) {
	root, err := openNodeRoot(dir, n.Name, false)
	if err != nil {
		return nil, fmt.Errorf("node %s: private paths: %w (run topo up again)", n.Name, err)
	}
	defer root.Close()
	var binds []node.Bind
	for _, p := range n.PrivatePaths() {
		f, err := root.Open(rel(p))
		if err != nil {
			return binds, fmt.Errorf("node %s: private path %s: %w (run topo up again)", n.Name, p, err)
		}
		binds = append(binds, node.Bind{Src: f, Target: p})
	}
	return binds, nil
}

func closeBinds(binds []node.Bind) {
	for _, b := range binds {
		b.Src.Close()
	}
}
