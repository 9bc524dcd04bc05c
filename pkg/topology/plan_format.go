package topology

import (
	"fmt"
	"io"
	"strings"
)

// String renders a step as one line of `topo plan`: a sign (+ create,
// - remove, ~ change, ! run), the object, and why in parentheses,
// aligned in a column.
func (s Step) String() string {
	what := s.object()
	if s.Why != "" {
		return fmt.Sprintf("%-44s (%s)", what, s.Why)
	}
	return what
}

// Text is String without the column padding, for JSON and logs.
func (s Step) Text() string {
	if s.Why != "" {
		return s.object() + " (" + s.Why + ")"
	}
	return s.object()
}

// object names what the step does to which object.
func (s Step) object() string {
	var what string
	switch s.Op {
	case OpCreateNode:
		what = "+ node " + s.Node
	case OpDeleteNode:
		what = "- node " + s.Node
	case OpCreateBridge:
		what = "+ bridge " + s.Node + ":" + bridgeDevice
	case OpCreateLink:
		what = "+ link " + s.Link.Ends[0].String() + " <-> " + s.Link.Ends[1].String()
	case OpDeleteLink:
		what = "- link " + s.Link.Ends[0].String() + " <-> " + s.Link.Ends[1].String()
	case OpSetMTU:
		what = fmt.Sprintf("~ %s:%s mtu %d", s.Node, s.Iface, s.MTU)
	case OpSetMAC:
		what = fmt.Sprintf("~ %s:%s mac %s", s.Node, s.Iface, s.MAC)
	case OpSetMaster:
		what = fmt.Sprintf("~ %s:%s master %s", s.Node, s.Iface, bridgeDevice)
	case OpAddAddr:
		what = fmt.Sprintf("+ %s:%s address %s", s.Node, s.Iface, s.Prefix)
	case OpDelAddr:
		what = fmt.Sprintf("- %s:%s address %s", s.Node, s.Iface, s.Prefix)
	case OpSetState:
		what = fmt.Sprintf("~ %s:%s %s", s.Node, s.Iface, stateWord(s.Up))
	case OpSetImpair:
		what = fmt.Sprintf("~ %s:%s impair %s", s.Node, s.Iface, s.Impair)
	case OpSetSTP:
		what = fmt.Sprintf("~ %s stp %s", s.Node, onOff(s.Up))
	case OpSetSysctl:
		what = fmt.Sprintf("~ %s sysctl %s = %s", s.Node, s.Key, s.Value)
	case OpAddRoute:
		what = fmt.Sprintf("+ %s route %s", s.Node, s.Route)
	case OpDelRoute:
		what = fmt.Sprintf("- %s route %s", s.Node, s.Route)
	case OpRunExec:
		what = "! " + s.Node + " run exec commands"
	default:
		what = string(s.Op) + " " + s.Node
	}
	return what
}

// Write prints the plan, one step per line, and a closing count.
// Creations of a link or node include their settings, so a new lab
// prints one line per node and link.
func (p *Plan) Write(w io.Writer) {
	if p.Empty() {
		fmt.Fprintf(w, "lab %s: up to date, nothing to change\n", p.Lab)
		return
	}
	for _, s := range p.Steps {
		fmt.Fprintln(w, s.String())
	}
	fmt.Fprintf(w, "lab %s: %s\n", p.Lab, p.Summary())
}

// Summary counts the steps by kind: "3 to create, 1 to change, 0 to remove".
func (p *Plan) Summary() string {
	var add, change, del int
	for _, s := range p.Steps {
		switch strings.ToUpper(s.String()[:1]) {
		case "+":
			add++
		case "-":
			del++
		default:
			change++
		}
	}
	return fmt.Sprintf("%d to create, %d to change, %d to remove", add, change, del)
}
