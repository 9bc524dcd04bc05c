package topology

import (
	"net"
	"net/netip"
)

// Op is the kind of one plan step.
type Op string

// The plan operations, in the order the executor applies their phases.
const (
	OpDeleteLink     Op = "delete-link"      // Link: delete the veth pair (deleting one end deletes both)
	OpDeleteNode     Op = "delete-node"      // Node: kill its processes, delete its namespace
	OpKillProcs      Op = "kill-processes"   // Node: kill every process in its namespace and wait for them (reset)
	OpDeleteIface    Op = "delete-iface"     // Node, Iface: an interface the file does not have (reset)
	OpCreateNode     Op = "create-node"      // Node: namespace, lo up, hostname; a bridge for a switch
	OpCreateBridge   Op = "create-bridge"    // Node (a switch whose namespace exists): its bridge with Bridge
	OpCreateLink     Op = "create-link"      // Link: veth pair born in both namespaces, MTU, MAC, master, addresses, state
	OpCreateTunnel   Op = "create-tunnel"    // Link (with Tunnel): VXLAN interface born in the local node, MTU, MAC, master, addresses, state
	OpSetMTU         Op = "set-mtu"          // Node, Iface, MTU
	OpSetMAC         Op = "set-mac"          // Node, Iface, MAC
	OpSetMaster      Op = "set-master"       // Node (a switch), Iface: attach the port to the switch's bridge
	OpDelAddr        Op = "del-addr"         // Node, Iface, Prefix
	OpAddAddr        Op = "add-addr"         // Node, Iface, Prefix
	OpSetState       Op = "set-state"        // Node, Iface, Up
	OpSetImpair      Op = "set-impair"       // Node, Iface, Impair (nil: remove topo's qdiscs)
	OpSetBridge      Op = "set-bridge"       // Node (a switch), Bridge: spanning tree and timers
	OpSetSysctl      Op = "set-sysctl"       // Node, Key, Value
	OpResetSysctl    Op = "reset-sysctl"     // Node, Key, Value: a setting topo does not own back to a fresh node's (reset)
	OpDelRoute       Op = "del-route"        // Node, Route
	OpAddRoute       Op = "add-route"        // Node, Route
	OpFlushNeigh     Op = "flush-neighbours" // Node: delete every entry of its neighbour tables (reset)
	OpRunExec        Op = "run-exec"         // Node: run the node's exec commands
	OpStopService    Op = "stop-service"     // Node, Key (the service): stop a service no longer in the file
	OpWriteFiles     Op = "write-files"      // Node: make its private paths and write its files
	OpStartService   Op = "start-service"    // Node, Key (the service): start a service
	OpRestartService Op = "restart-service"  // Node, Key (the service): stop and start a changed service
)

// Step is one change the executor makes. Only the fields its Op names
// are set.
type Step struct {
	Op     Op               `json:"op"`
	Node   string           `json:"node,omitempty"`
	Iface  string           `json:"iface,omitempty"`
	Link   *Link            `json:"link,omitempty"`
	Prefix netip.Prefix     `json:"prefix,omitzero"`
	Route  Route            `json:"route,omitzero"`
	MTU    int              `json:"mtu,omitempty"`
	MAC    net.HardwareAddr `json:"mac,omitempty"`
	Impair *Impairment      `json:"impair,omitempty"`
	Bridge *BridgeConf      `json:"bridge,omitempty"`
	Up     bool             `json:"up,omitempty"`
	Key    string           `json:"key,omitempty"`
	Value  string           `json:"value,omitempty"`
	// Why says what made the step necessary: "new", "changed",
	// "removed from file", or "drift: ..." for changes made behind
	// topo's back.
	Why string `json:"why,omitempty"`
}

// Plan is the ordered list of steps that takes the kernel from the
// observed state to the desired one.
type Plan struct {
	Lab   string `json:"lab"`
	Steps []Step `json:"steps"`
	// Notes say what the plan leaves as it is on purpose, such as a
	// route held back while its link is down.
	Notes []string `json:"notes,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }
