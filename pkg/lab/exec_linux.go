package lab

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// runExec runs a node's exec commands one after the other with
// /bin/sh -c, output appended to the node's exec log (shown with -v).
// Stdout is a file, so a command that leaves a daemon behind does not
// keep topo waiting.
func (x *executor) runExec(name string) error {
	n := x.nodes[name]
	logPath := ExecLogPath(x.lab.Name, name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	uts, err := hostnameNS(x.lab.Name, name)
	if err != nil {
		return err
	}
	for _, c := range n.Exec {
		start, _ := f.Seek(0, io.SeekEnd)
		fmt.Fprintf(f, "$ %s\n", c)
		code, err := node.Run(node.ExecSpec{
			Netns:  NetnsPath(x.lab.Name, name),
			UTS:    uts,
			Hosts:  HostsPath(x.lab.Name),
			Args:   []string{"/bin/sh", "-c", c},
			Stdout: f, Stderr: f,
		})
		if x.verbose != nil {
			x.showLog(name, logPath, start)
		}
		if err != nil {
			return fmt.Errorf("exec %q: %w", c, err)
		}
		if code != 0 {
			return fmt.Errorf("exec %q exited with status %d (output in %s)", c, code, logPath)
		}
	}
	return nil
}

func (x *executor) showLog(name, path string, from int64) {
	data, err := os.ReadFile(path)
	if err != nil || from > int64(len(data)) {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fmt.Fprintf(x.verbose, "--- %s ---\n%s", name, data[from:])
}

// Exec runs args inside a node of a lab that is up, with the node's
// hostname and the lab's hosts file, standard streams passed through.
// It returns the command's exit status. Any goroutine; the caller's
// thread never changes namespace.
func Exec(labName, nodeName string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	st, err := LoadState(labName)
	if err != nil {
		return -1, err
	}
	if st.Lab.Node(nodeName) == nil {
		return -1, fmt.Errorf("lab %s has no node %q (nodes: %s)", labName, nodeName, nodeList(st.Lab))
	}
	if _, err := node.Inode(topology.Namespace(labName, nodeName)); err != nil {
		return -1, fmt.Errorf("node %s of lab %s: %w (run `topo up` to repair the lab)", nodeName, labName, err)
	}
	uts, err := hostnameNS(labName, nodeName)
	if err != nil {
		return -1, err
	}
	return node.Run(node.ExecSpec{
		Netns: NetnsPath(labName, nodeName),
		UTS:   uts,
		Hosts: HostsPath(labName),
		Args:  args,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
	})
}

func nodeList(l *topology.Lab) string {
	s := ""
	for i, n := range l.Nodes {
		if i > 0 {
			s += ", "
		}
		if i == 10 {
			return s + "..."
		}
		s += n.Name
	}
	return s
}
