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
}

// opTable lists every operation in phase order: the executor applies
// the phases in this order, so removals come first, then creations,
// then settings, routes once addresses exist, exec last. A test checks
// that every Op constant is here.
var opTable = []opSpec{
	{OpDeleteLink, KindRemove, linkTarget},
	{OpDeleteNode, KindRemove, nodeTarget},
	{OpKillProcs, KindRemove, func(s Step) string { return s.Node + " processes" }},
	{OpCreateNode, KindCreate, nodeTarget},
	{OpCreateBridge, KindCreate, func(s Step) string { return "bridge " + s.Node + ":" + bridgeDevice }},
	{OpCreateLink, KindCreate, linkTarget},
	{OpSetMTU, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s mtu %d", s.Node, s.Iface, s.MTU) }},
	{OpSetMAC, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s mac %s", s.Node, s.Iface, s.MAC) }},
	{OpSetMaster, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s master %s", s.Node, s.Iface, bridgeDevice) }},
	{OpDelAddr, KindRemove, func(s Step) string { return fmt.Sprintf("%s:%s address %s", s.Node, s.Iface, s.Prefix) }},
	{OpAddAddr, KindCreate, func(s Step) string { return fmt.Sprintf("%s:%s address %s", s.Node, s.Iface, s.Prefix) }},
	{OpSetState, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s %s", s.Node, s.Iface, stateWord(s.Up)) }},
	{OpSetImpair, KindChange, func(s Step) string { return fmt.Sprintf("%s:%s impair %s", s.Node, s.Iface, s.Impair) }},
	{OpSetBridge, KindChange, func(s Step) string { return fmt.Sprintf("%s bridge %s", s.Node, s.Bridge) }},
	{OpSetSysctl, KindChange, sysctlTarget},
	{OpResetSysctl, KindChange, sysctlTarget},
	{OpDelRoute, KindRemove, routeTarget},
	{OpAddRoute, KindCreate, routeTarget},
	{OpFlushNeigh, KindRemove, func(s Step) string { return s.Node + " neighbour entries" }},
	{OpRunExec, KindRun, func(s Step) string { return s.Node + " run exec commands" }},
}

func nodeTarget(s Step) string { return "node " + s.Node }
func linkTarget(s Step) string {
	return "link " + s.Link.Ends[0].String() + " <-> " + s.Link.Ends[1].String()
}
func routeTarget(s Step) string { return s.Node + " route " + s.Route.String() }
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
