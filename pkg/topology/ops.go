package topology

import "fmt"

// StepKind says what a step does to its object: it gives the step's
// sign in `topo plan` and its column in the plan's summary.
type StepKind int

// The step kinds.
const (
	KindCreate StepKind = iota // "+": makes an object
	KindChange                 // "~": changes a setting of an object
	KindRemove                 // "-": removes an object
	KindRun                    // "!": runs commands
)

// sign is the kind's mark at the start of a plan line.
func (k StepKind) sign() string {
	return [...]string{"+", "~", "-", "!"}[k]
}

// opSpec is everything pure about one operation: its kind and how it
// names what it changes. How it runs is the executor's (pkg/lab keeps
// a runner per operation and tests that none is missing).
type opSpec struct {
	op     Op
	kind   StepKind
	target func(s Step) string
	// inOrder says the steps of one node must run one after another,
	// in the plan's order (a write of ip_forward resets other
	// settings); steps of different nodes still run in parallel.
	inOrder bool
}

// opTable lists every operation in phase order: the executor applies
// the phases in this order, so removals come first, then creations,
// then settings, routes once addresses exist, exec last. A test checks
// that every Op constant is here.
var opTable = []opSpec{
	{OpDeleteLink, KindRemove, linkTarget, false},
	{OpDeleteNode, KindRemove, nodeTarget, false},
	{OpStopService, KindRemove, serviceTarget, false},
	{OpKillProcs, KindRemove, func(s Step) string { return s.Node + " processes" }, false},
	{OpDeleteIface, KindRemove, func(s Step) string { return s.Node + ":" + s.Iface + " interface" }, false},
	{OpCreateNode, KindCreate, nodeTarget, false},
	{OpCreateBridge, KindCreate, func(s Step) string { return "bridge " + s.Node + ":" + bridgeDevice }, false},
	{OpCreateLink, KindCreate, linkTarget, false},
	{OpCreateTunnel, KindCreate, tunnelTarget, false},
	{OpSetMTU, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s mtu %d", s.Node, s.Iface, s.MTU) }, false},
	{OpSetMAC, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s mac %s", s.Node, s.Iface, s.MAC) }, false},
	{OpSetMaster, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s master %s", s.Node, s.Iface, bridgeDevice) }, false},
	{OpDelAddr, KindRemove, func(s Step) string { return fmt.Sprintf("%s:%s address %s", s.Node, s.Iface, s.Prefix) }, false},
	{OpAddAddr, KindCreate, func(s Step) string { return fmt.Sprintf("%s:%s address %s", s.Node, s.Iface, s.Prefix) }, false},
	{OpSetState, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s %s", s.Node, s.Iface, stateWord(s.Up)) }, false},
	{OpSetImpair, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s impair %s", s.Node, s.Iface, s.Impair) }, false},
	{OpSetBridge, KindChange, func(s Step) string { return fmt.Sprintf("%s bridge %s", s.Node, s.Bridge) }, false},
	{OpSetSysctl, KindChange, sysctlTarget, true},
	{OpResetSysctl, KindChange, sysctlTarget, true},
	{OpDelRoute, KindRemove, routeTarget, false},
	{OpAddRoute, KindCreate, routeTarget, false},
	{OpFlushNeigh, KindRemove, func(s Step) string { return s.Node + " neighbour entries" }, false},
	{OpWriteFiles, KindChange, func(s Step) string { return s.Node + " private files" }, false},
	{OpRunExec, KindRun, func(s Step) string { return s.Node + " run exec commands" }, false},
	{OpStartService, KindCreate, serviceTarget, true},
	{OpRestartService, KindChange, serviceTarget, true},
}

func nodeTarget(s Step) string { return "node " + s.Node }
func linkTarget(s Step) string {
	return "link " + s.Link.Ends[0].String() + " <-> " + s.Link.Ends[1].String()
}
func tunnelTarget(s Step) string {
	t := s.Link.Tunnel
	return fmt.Sprintf("tunnel %s -> %s (site %s %s port %d vni %d)", s.Link.Ends[0], s.Link.Ends[1], t.Site, t.Remote, t.Port, t.VNI)
}
func serviceTarget(s Step) string { return s.Node + " service " + s.Key }
func routeTarget(s Step) string   { return s.Node + " route " + s.Route.String() }
func sysctlTarget(s Step) string {
	return fmt.Sprintf("%s sysctl %s = %s", s.Node, s.Key, s.Value)
}

// opPhase maps each operation to its place in opTable.
var opPhase = func() map[Op]int {
	m := make(map[Op]int, len(opTable))
	for i, o := range opTable {
		m[o.op] = i
	}
	return m
}()

// Ops lists every plan operation in the order the executor applies
// their phases.
func Ops() []Op {
	out := make([]Op, len(opTable))
	for i, o := range opTable {
		out[i] = o.op
	}
	return out
}

// phase is the operation's place in the order of phases; an operation
// missing from opTable (a bug the tests catch) sorts last.
func phase(op Op) int {
	if i, ok := opPhase[op]; ok {
		return i
	}
	return len(opTable)
}

// InOrder reports whether the steps of op for one node must run one
// after another in the plan's order (steps of different nodes may
// still run in parallel).
func InOrder(op Op) bool {
	if i, ok := opPhase[op]; ok {
		return opTable[i].inOrder
	}
	return false
}

// Kind is what the step does to its object; an unknown operation
// counts as a change.
func (s Step) Kind() StepKind {
	if i, ok := opPhase[s.Op]; ok {
		return opTable[i].kind
	}
	return KindChange
}

// Target names the object the step acts on and the value it sets,
// without the sign: "h1:eth0 mtu 9000", "link h1:eth0 <-> h2:eth0".
func (s Step) Target() string {
	if i, ok := opPhase[s.Op]; ok {
		return opTable[i].target(s)
	}
	return string(s.Op) + " " + s.Node
}
