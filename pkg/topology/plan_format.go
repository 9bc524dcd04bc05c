package topology

import (
	"fmt"
	"io"
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

// object is the step's sign and target: "+ node h1".
func (s Step) object() string {
	return s.Kind().sign() + " " + s.Target()
}

// Write prints the plan, one step per line, and a closing count.
// Creations of a link or node include their settings, so a new lab
// prints one line per node and link.
func (p *Plan) Write(w io.Writer) {
	if p.Empty() {
		fmt.Fprintf(w, "lab %s: up to date, nothing to change\n", p.Lab)
	} else {
		for _, s := range p.Steps {
			fmt.Fprintln(w, s.String())
		}
		fmt.Fprintf(w, "lab %s: %s\n", p.Lab, p.Summary())
	}
	p.WriteNotes(w)
}

// WriteNotes prints the plan's notes, one per line.
func (p *Plan) WriteNotes(w io.Writer) {
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// Summary counts the steps by kind: "3 to create, 1 to change, 0 to
// remove"; commands run count as changes.
func (p *Plan) Summary() string {
	var add, change, del int
	for _, s := range p.Steps {
		switch s.Kind() {
		case KindCreate:
			add++
		case KindRemove:
			del++
		default:
			change++
		}
	}
	return fmt.Sprintf("%d to create, %d to change, %d to remove", add, change, del)
}
