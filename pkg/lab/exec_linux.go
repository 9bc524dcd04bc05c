package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"golang.org/x/sys/unix"
)

// startIn starts spec.Args in a node of a lab: in the node's network
// namespace, verified as the lab's own (ownership.verify), with the
// node's hostname, the lab's hosts file and its resolv.conf (unless the
// node has one of its own, see resolvConf). It is the one way topo
// starts a process in a lab (topo exec, exec commands), and holds the
// lab's start gate meanwhile (see gate_linux.go), so it never starts
// one in a lab being taken down. own is the lab's ownership when the
// caller has it (up, which holds the lab's lock); nil loads the lab's
// state once the gate is held. The caller Waits for the command.
func startIn(lab, nodeName string, own *ownership, n *topology.Node, spec node.ExecSpec) (*exec.Cmd, error) {
	root, err := openRoot(false)
	if err != nil {
		return nil, notUp(lab, err)
	}
	defer root.Close()
	dir, err := openSubdir(root, lab, false)
	if err != nil {
		return nil, notUp(lab, err)
	}
	defer dir.Close()
	if !existsIn(dir, stateFile) {
		return nil, fmt.Errorf("lab %s: %w", lab, ErrNoState)
	}
	release, err := gateToStart(context.Background(), root, dir, lab)
	if err != nil {
		return nil, err
	}
	defer release()
	var netns *os.File
	if own == nil && !hasPrivate(dir, nodeName) {
		// The journal first; when it does not vouch for the namespace
		// (older than the state, say), the state decides. A node with
		// private paths needs the state for the list of its binds.
		if o := recordedOwner(dir, lab, nodeName); o != nil {
			if netns, err = o.openNetns(nodeName); err != nil {
				netns = nil
			}
		}
	}
	if netns == nil && own == nil {
		st, err := loadStateIn(dir, lab)
		if err != nil {
			return nil, err
		}
		if n = st.Lab.Node(nodeName); n == nil {
			return nil, st.Lab.NoNode(nodeName, nodeList(st.Lab))
		}
		if err := fillFromRecords(st); err != nil {
			return nil, err
		}
		own = ownershipOf(st)
	}
	if netns == nil {
		if netns, err = own.openNetns(nodeName); err != nil {
			return nil, err
		}
	}
	defer netns.Close()
	uts, err := hostnameNS(dir, nodeName)
	if err != nil {
		return nil, fmt.Errorf("hostname of node %s: %w", nodeName, err)
	}
	defer uts.Close()
	hosts, err := openFileIn(dir, hostsName, unix.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("hosts file of lab %s: %w", lab, err)
	}
	defer hosts.Close()
	spec.Netns, spec.UTS, spec.Hosts = netns, uts, hosts
	if n != nil && len(n.PrivatePaths()) > 0 {
		binds, err := openPrivate(dir, n)
		defer closeBinds(binds)
		if err != nil {
			return nil, err
		}
		spec.Binds = binds
	}
	if !slices.ContainsFunc(spec.Binds, func(b node.Bind) bool { return b.Target == topology.ResolvConf }) {
		f, err := labResolv(dir)
		if err != nil {
			return nil, fmt.Errorf("resolv.conf of lab %s: %w", lab, err)
		}
		if f != nil {
			defer f.Close()
			spec.Binds = append([]node.Bind{{Src: f, Target: topology.ResolvConf}}, spec.Binds...)
		}
	}
	return node.Start(spec)
}

// labResolv opens the lab's resolv.conf (see resolvConf) to bind over
// the machine's; nil when there is nothing to bind over (no
// /etc/resolv.conf, or a symbolic link to nothing, as with a stopped
// systemd-resolved: the node then has none either, and binding would
// mean making the link's target on the machine) or when the lab was
// brought up by a topo that wrote none (the node sees the machine's,
// as it did then).
func labResolv(dir *os.File) (*os.File, error) {
	if _, err := os.Stat(topology.ResolvConf); err != nil {
		return nil, nil
	}
	f, err := openFileIn(dir, resolvName, unix.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// recordedOwner is the ownership of nodeName alone, from the lab's
// journal of namespaces (see records.go), the same proof as the state:
// reading one node's line costs the same in any lab, where the state
// file grows with the lab and took most of an exec's time in a big
// one. nil when the journal does not record the node (it may still be
// in the state, or not in the lab at all: the caller loads the state).
func recordedOwner(dir *os.File, lab, nodeName string) *ownership {
	if !topology.ValidNodeName(nodeName) {
		return nil
	}
	data, err := readFileIn(dir, recordsFile)
	if err != nil {
		return nil
	}
	inode, ok := lastRecord(data, nodeName)
	if !ok || inode == 0 {
		return nil
	}
	st := &State{Lab: &topology.Lab{Name: lab}, Namespaces: map[string]uint64{nodeName: inode}}
	return ownershipOf(st)
}

// notUp says a lab whose state directory cannot be opened is not up,
// unless the directory is refused for another reason.
func notUp(lab string, err error) error {
	if os.IsNotExist(err) {
		return fmt.Errorf("lab %s: %w", lab, ErrNoState)
	}
	return err
}

// runExec runs a node's exec commands one after the other with
// /bin/sh -c, output appended to the node's exec log (shown with -v).
// Stdout is a file, so a command that leaves a daemon behind does not
// keep topo waiting.
func (x *executor) runExec(name string) error {
	n := x.nodes[name]
	f, err := openExecLog(x.lab.Name, name)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, c := range n.Exec {
		start, _ := f.Seek(0, io.SeekEnd)
		fmt.Fprintf(f, "$ %s\n", c)
		cmd, err := startIn(x.lab.Name, name, x.own, n, node.ExecSpec{
			Args:   []string{"/bin/sh", "-c", c},
			Stdout: f, Stderr: f,
		})
		code := -1
		if err == nil {
			code, err = node.Wait(cmd)
		}
		if x.verbose != nil {
			x.showLog(name, f, start)
		}
		if err != nil {
			return fmt.Errorf("exec %q: %w", c, err)
		}
		if code != 0 {
			return fmt.Errorf("exec %q exited with status %d (output in %s)", c, code, ExecLogPath(x.lab.Name, name))
		}
	}
	return nil
}

// openExecLog opens a node's exec log to append to and read back,
// making it (0600) and its directory when missing.
func openExecLog(lab, nodeName string) (*os.File, error) {
	dir, err := openLabDir(lab, true)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	logs, err := openSubdir(dir, execDirName, true)
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	return openFileIn(logs, nodeName+".log", unix.O_RDWR|unix.O_APPEND|unix.O_CREAT, 0o600)
}

// showLog prints the log from offset from on.
func (x *executor) showLog(name string, f *os.File, from int64) {
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || from > end {
		return
	}
	data := make([]byte, end-from)
	if _, err := f.ReadAt(data, from); err != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fmt.Fprintf(x.verbose, "--- %s ---\n%s", name, data)
}

// Exec runs args inside a node of a lab that is up, with the node's
// hostname and the lab's hosts file, standard streams passed through
// (see startIn). It returns the command's exit status. Any goroutine;
// the caller's thread never changes namespace.
func Exec(labName, nodeName string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd, err := startIn(labName, nodeName, nil, nil, node.ExecSpec{
		Args:  args,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
	})
	if err != nil {
		return -1, err
	}
	return node.Wait(cmd)
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
