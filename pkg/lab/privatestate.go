package lab

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/topo-lab/topo/pkg/topology"
)

// privateOverState refuses private paths that overlap topo's state
// directory root (TOPO_STATE_DIR, which validation cannot know: it
// checks the default, topology.StateRoot): binding a node's own view
// over it would hide the lab's state from the node's processes, or put
// the state inside a node's private tree. Paths are compared as the
// machine resolves them (real, a symbolic link such as /var/run ->
// /run followed), through resolve. Every such path is named, with its
// node's place in the file.
func privateOverState(l *topology.Lab, root string, resolve func(string) string) error {
	root = resolve(filepath.Clean(root))
	var errs []error
	for _, n := range l.Nodes {
		for _, p := range n.Private {
			if !topology.PathsOverlap(resolve(p), root) {
				continue
			}
			where := ""
			if s := n.Pos.String(); s != "" {
				where = s + ": "
			}
			errs = append(errs, fmt.Errorf("%snode %s: private path %s overlaps topo's state directory %s (TOPO_STATE_DIR): make another path private, or keep TOPO_STATE_DIR out of the nodes' private paths",
				where, n.Name, p, root))
		}
	}
	return errors.Join(errs...)
}

// realPath resolves the symbolic links of an absolute path as far as it
// exists: /var/run/x is /run/x where /var/run links to /run, even while
// x does not exist.
func realPath(p string) string {
	rest := ""
	for dir := filepath.Clean(p); ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if dir == "/" {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
