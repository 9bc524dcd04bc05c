package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// ExecSpec describes a command to run inside a node's namespaces. The
// namespaces and the hosts file are given open, not by path: what the
// caller checked (the namespace's inode, the file's owner) is what the
// command gets, whatever happens to the paths meanwhile.
type ExecSpec struct {
	// Netns is the network namespace to run in, open (OpenNetns).
	Netns *os.File
	// UTS is a UTS namespace made by CreateUTS, open (OpenUTS); nil
	// keeps the caller's hostname.
	UTS *os.File
	// Hosts is a file bind-mounted over /etc/hosts for the command
	// only, open; nil leaves /etc/hosts alone.
	Hosts *os.File
	// Binds are the node's private paths, each an open file or
	// directory bound over its target for the command only.
	Binds []Bind
	// NewGroup puts the command in a process group of its own, so a
	// supervisor can signal it and its children together.
	NewGroup bool
	// Args is the command and its arguments; Args[0] is looked up in
	// PATH.
	Args []string
	// Env is the environment; nil means the caller's.
	Env []string
	// Dir is the working directory; "" means the caller's.
	Dir string
	// Stdin, Stdout and Stderr are passed as in os/exec: an *os.File
	// (a terminal, for an interactive shell) is handed to the child
	// as is; nil means /dev/null.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Start starts spec.Args inside the namespaces of spec and returns the
// running command; the caller must Wait for it. The files of spec may
// be closed once Start has returned.
//
// The command is forked from a dedicated locked OS thread that has
// entered the network (and UTS) namespace and a private mount
// namespace (slave of the root one, so nothing the command mounts
// leaks out) with /sys remounted for the network namespace and
// spec.Hosts over /etc/hosts. That thread is never used again. The
// calling thread does not move. Do not set Pdeathsig on the result:
// it would fire when that thread exits.
func Start(spec ExecSpec) (*exec.Cmd, error) {
	if len(spec.Args) == 0 {
		return nil, errors.New("exec: no command")
	}
	if spec.Netns == nil {
		return nil, fmt.Errorf("exec %s: no network namespace given", spec.Args[0])
	}
	cmd := exec.Command(spec.Args[0], spec.Args[1:]...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	cmd.Stdin = spec.Stdin
	cmd.Stdout = spec.Stdout
	cmd.Stderr = spec.Stderr
	if spec.NewGroup {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	err := enterForExec(spec.Netns, spec.UTS, spec.Hosts, spec.Binds, cmd.Start)
	if err != nil {
		return nil, fmt.Errorf("exec %s in %s: %w", spec.Args[0], spec.Netns.Name(), err)
	}
	return cmd, nil
}

// Run starts spec like Start and waits for it (see Wait).
func Run(spec ExecSpec) (exitCode int, err error) {
	cmd, err := Start(spec)
	if err != nil {
		return -1, err
	}
	return Wait(cmd)
}

// Wait waits for a command started with Start. exitCode is the
// command's exit status, or 128+N when signal N killed it (as shells
// report it); err is non-nil only when the command could not be waited
// for, in which case exitCode is -1.
func Wait(cmd *exec.Cmd) (exitCode int, err error) {
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	default:
		return -1, fmt.Errorf("exec %s: %w", cmd.Path, err)
	}
}
