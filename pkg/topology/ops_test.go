package topology

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// declaredOps reads plan.go and returns the value of every constant
// declared with type Op, so that a new operation cannot be forgotten in
// opTable.
func declaredOps(t *testing.T) []Op {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "plan.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Op
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Op" {
			return true
		}
		for _, v := range vs.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				out = append(out, Op(strings.Trim(lit.Value, `"`)))
			}
		}
		return true
	})
	return out
}

func TestEveryOpIsInTheTable(t *testing.T) {
	declared := declaredOps(t)
	if len(declared) < 10 {
		t.Fatalf("found only %d Op constants in plan.go: is the parse right?", len(declared))
	}
	for _, op := range declared {
		if _, ok := opPhase[op]; !ok {
			t.Errorf("operation %q is not in opTable: it would sort after exec and print as a change", op)
		}
	}
	if len(opTable) != len(opPhase) {
		t.Errorf("opTable lists an operation twice (%d entries, %d operations)", len(opTable), len(opPhase))
	}
	for _, o := range opTable {
		if !slices.Contains(declared, o.op) {
			t.Errorf("opTable has %q, which plan.go does not declare", o.op)
		}
	}
}

func TestSummaryCountsKinds(t *testing.T) {
	l := &Link{Ends: [2]Endpoint{{Node: "a", Interface: "eth0"}, {Node: "b", Interface: "eth0"}}}
	p := &Plan{Steps: []Step{
		{Op: OpCreateNode, Node: "a"},
		{Op: OpCreateLink, Link: l},
		{Op: OpDeleteLink, Link: l},
		{Op: OpSetMTU, Node: "a", Iface: "eth0", MTU: 9000},
		{Op: OpRunExec, Node: "a"},
		{Op: OpDelAddr, Node: "a", Iface: "eth0"},
	}}
	if got, want := p.Summary(), "2 to create, 2 to change, 2 to remove"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

func TestUnknownOpSortsLast(t *testing.T) {
	steps := []Step{{Op: "made-up", Node: "a"}, {Op: OpRunExec, Node: "a"}, {Op: OpDeleteLink, Link: &Link{}}}
	sortSteps(steps)
	if steps[2].Op != "made-up" {
		t.Errorf("unknown operation sorted to %v, want last", steps)
	}
}
