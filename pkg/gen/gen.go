package gen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/topo-lab/topo/pkg/topology"
)

// Limits on generated labs.
const (
	// MaxHosts is the largest number of hosts a generated lab may have.
	MaxHosts = 100_000
	// MaxSwitches is the largest number of switches a generated lab may
	// have.
	MaxSwitches = 100_000
	// MaxPorts is the most ports one switch may have: what a Linux
	// bridge takes (topology.MaxBridgePorts).
	MaxPorts = topology.MaxBridgePorts
	// MaxNameLen is the longest lab name, as topo's loader allows.
	MaxNameLen = 32
)

// Options tune a generated lab.
type Options struct {
	// Name is the lab's name; it must match [a-z0-9][a-z0-9-]* and be
	// at most MaxNameLen characters. Empty
	// means the kind and its arguments joined by dashes, e.g. "tree-2-16".
	Name string
}

// Shape describes one kind of generated topology, for help text.
type Shape struct {
	// Kind is the name given to Generate and to `topo gen`: "tree".
	Kind string
	// Params names the arguments in order: ["DEPTH", "FANOUT"].
	Params []string
	// Example is a typical argument list: "2 16".
	Example string
	// Summary is a one-line description.
	Summary string
}

// Usage renders the shape's synopsis: "tree DEPTH FANOUT".
func (s Shape) Usage() string { return strings.Join(append([]string{s.Kind}, s.Params...), " ") }

// shape is a Shape with the code that checks its arguments and builds it.
type shape struct {
	Shape
	// size checks the arguments' ranges and returns the number of hosts
	// and switches the lab will have, before anything is built.
	size func(args []int) (hosts, switches int, err error)
	// build creates the nodes and links in Mininet's order.
	build func(g *graph, args []int)
	// least is the smallest value an argument may take (0 means 1), so
	// the message for a too small one names the real bound; lessNote
	// says why, after the number given.
	least    int
	lessNote string
}

// shapes lists every kind, in the order help text shows them.
var shapes = []shape{single, linear, tree, star, ring, fattree}

// Shapes returns a description of every kind Generate accepts, in a
// fixed order, for help text.
func Shapes() []Shape {
	out := make([]Shape, len(shapes))
	for i, s := range shapes {
		out[i] = s.Shape
	}
	return out
}

// Kinds returns the usage line of every kind Generate accepts, e.g.
// "tree DEPTH FANOUT", in a fixed order, for help text.
func Kinds() []string {
	out := make([]string, len(shapes))
	for i, s := range shapes {
		out[i] = s.Usage()
	}
	return out
}

// UsageError reports arguments that Generate or ParseArgs cannot use. Its
// message says what is wrong and shows a valid call.
type UsageError struct {
	// Kind is the requested kind, possibly unknown.
	Kind string
	// Msg is the full message.
	Msg string
}

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// usageErr builds a UsageError for kind.
func usageErr(kind, format string, a ...any) error {
	return &UsageError{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// lookup finds the shape of a kind.
func lookup(kind string) (shape, error) {
	for _, s := range shapes {
		if s.Kind == kind {
			return s, nil
		}
	}
	return shape{}, usageErr(kind, "unknown topology kind %q; choose one of: %s", kind, strings.Join(Kinds(), " | "))
}

// ParseArgs turns command-line arguments into the numbers Generate
// takes, with messages that name the parameter at fault.
func ParseArgs(kind string, args []string) ([]int, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	if err := s.checkCount(len(args)); err != nil {
		return nil, err
	}
	out := make([]int, len(args))
	for i, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return nil, usageErr(kind, "%s: %s must be a whole number, got %q, e.g. topo gen %s %s",
				kind, s.Params[i], a, kind, s.Example)
		}
		out[i] = n
	}
	return out, nil
}

// checkCount checks that n arguments is what the shape takes.
func (s shape) checkCount(n int) error {
	if n == len(s.Params) {
		return nil
	}
	return usageErr(s.Kind, "%s needs %s, got %d argument%s, e.g. topo gen %s %s",
		s.Kind, joinAnd(s.Params), n, plural(n), s.Kind, s.Example)
}

// labName matches valid lab names.
var labName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Generate returns the YAML text of a generated lab: kind is one of
// Kinds (single, linear, tree, star, ring, fattree) and args its numeric
// arguments. The output is the same bytes for the same input. Bad
// arguments give a *UsageError.
func Generate(kind string, args []int, opts Options) ([]byte, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	if err := s.checkCount(len(args)); err != nil {
		return nil, err
	}
	least := max(s.least, 1)
	for i, a := range args {
		if a < least {
			return nil, usageErr(kind, "%s: %s must be at least %d, got %d%s, e.g. topo gen %s %s",
				kind, s.Params[i], least, a, s.lessNote, kind, s.Example)
		}
	}
	hosts, switches, err := s.size(args)
	if err != nil {
		return nil, err
	}
	call := strings.TrimSpace(kind + " " + joinInts(args, " "))
	if hosts > MaxHosts {
		return nil, usageErr(kind, "%s would have %d hosts; at most %d are allowed", call, hosts, MaxHosts)
	}
	if switches > MaxSwitches {
		return nil, usageErr(kind, "%s would have %d switches; at most %d are allowed", call, switches, MaxSwitches)
	}
	name := opts.Name
	if name == "" {
		name = kind + "-" + joinInts(args, "-")
	}
	if !labName.MatchString(name) || len(name) > MaxNameLen {
		return nil, usageErr(kind, "lab name %q is not valid: use at most %d lower-case letters, digits and dashes, starting with a letter or digit", name, MaxNameLen)
	}

	g := &graph{}
	s.build(g, args)
	for i, p := range g.ports() {
		if p > MaxPorts {
			return nil, usageErr(kind, "%s: switch s%d would have %d ports, but a Linux bridge takes at most %d; use fewer hosts per switch (tree or fattree spread them out)",
				call, i+1, p, MaxPorts)
		}
	}
	return emit(g, name, "topo gen "+call), nil
}

// joinInts renders numbers separated by sep.
func joinInts(a []int, sep string) string {
	s := make([]string, len(a))
	for i, n := range a {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}

// joinAnd renders ["A", "B", "C"] as "A, B and C".
func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
