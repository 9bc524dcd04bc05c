// Package lab turns a desired topology into kernel objects and back:
// it keeps each lab's state under /run/topo, observes the kernel,
// plans with topology.Diff and applies plans with one executor.
package lab

import (
	"path/filepath"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// Root is where topo keeps the state of its labs, one directory each.
// A variable so tests can use a private root.
var Root = "/run/topo"

// Dir is the state directory of a lab.
func Dir(lab string) string { return filepath.Join(Root, lab) }

func statePath(lab string) string { return filepath.Join(Dir(lab), "state.json") }

// holderFile, in a lab's state directory, is where the holder of the
// lab's lock says who it is.
const holderFile = "holder"

func holderPath(lab string) string { return filepath.Join(Dir(lab), holderFile) }

// HostsPath is the hosts file of a lab, bind-mounted over /etc/hosts
// for commands run by `topo exec`.
func HostsPath(lab string) string { return filepath.Join(Dir(lab), "hosts") }

// UTSPath is where a node's UTS namespace (its hostname) is kept.
func UTSPath(lab, nodeName string) string { return filepath.Join(Dir(lab), "uts", nodeName) }

// ExecLogPath is where the output of a node's exec commands goes.
func ExecLogPath(lab, nodeName string) string {
	return filepath.Join(Dir(lab), "exec", nodeName+".log")
}

// NetnsPath is the bind mount of a node's network namespace.
func NetnsPath(lab, nodeName string) string {
	return filepath.Join(node.NetnsDir, topology.Namespace(lab, nodeName))
}
