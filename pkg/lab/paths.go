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

// The files and directories of a lab's state directory. They are
// reached only through the directory's descriptor (statedir_linux.go);
// the paths below are for messages.
const (
	stateFile    = "state.json"
	recordsFile  = "namespaces"  // the journal, see records.go
	holderFile   = "holder"      // who holds the lab's lock, see holder.go
	hostsName    = "hosts"       // bind-mounted over /etc/hosts by exec
	resolvName   = "resolv.conf" // over /etc/resolv.conf, see resolv.go
	gateFile     = "gate"        // see gate_linux.go
	utsDirName   = "uts"         // the nodes' hostnames, see uts_linux.go
	execDirName  = "exec"        // the output of exec commands
	nodesDirName = "nodes"       // the nodes' private paths, see private_linux.go
	svcDirName   = "services"    // the supervisor, services' logs and status
	checkFile    = "check.json"  // the last check's outcome, see lastcheck_linux.go
)

func statePath(lab string) string { return filepath.Join(Dir(lab), stateFile) }

// ExecLogPath is where the output of a node's exec commands goes.
func ExecLogPath(lab, nodeName string) string {
	return filepath.Join(Dir(lab), execDirName, nodeName+".log")
}

// NetnsPath is the bind mount of a node's network namespace.
func NetnsPath(lab, nodeName string) string {
	return filepath.Join(node.NetnsDir, topology.Namespace(lab, nodeName))
}
