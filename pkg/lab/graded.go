package lab

import "github.com/topo-lab/topo/pkg/topology"

// Graded is one check of an expectations file against a lab: a node
// that must exist, an address it must hold, or an expectation.
type Graded struct {
	// Check says what is checked: "node h1 exists", "h1 holds
	// 10.0.1.10/24", "h1 must reach h3 via r1, r2".
	Check string `json:"check"`
	// Kind is "node", "address", or the expectation's kind.
	Kind string `json:"kind"`
	// Line is where the check is written in the expectations file.
	Line  int    `json:"line"`
	Holds bool   `json:"holds"`
	Why   string `json:"why"`
	// Points is what the check is worth; Earned is Points when it
	// holds, else 0.
	Points int `json:"points"`
	Earned int `json:"earned"`
	// Detail says a failure step by step (see ExpectResult.Detail).
	Detail []string `json:"detail,omitempty"`
	// Result is the expectation's full verdict.
	Result *ExpectResult `json:"result,omitempty"`
}

// NotGraded lists the checks of an expectations file as Grade would,
// each failed with why (the lab graded is not up, say) and earning
// nothing, so a class's table still has the lab's row. Pure.
func NotGraded(f *topology.ExpectFile, why string) []Graded {
	var out []Graded
	for _, n := range f.Nodes {
		out = append(out, Graded{Check: "node " + n.Name + " exists", Kind: "node", Line: n.Pos.Line, Points: n.Points, Why: why})
	}
	for _, a := range f.Addresses {
		out = append(out, Graded{Check: a.String(), Kind: "address", Line: a.Pos.Line, Points: a.Points, Why: why})
	}
	for _, e := range f.Expect {
		out = append(out, Graded{Check: e.String(), Kind: e.Kind(), Line: e.Pos.Line, Points: e.Points, Why: why})
	}
	return out
}
