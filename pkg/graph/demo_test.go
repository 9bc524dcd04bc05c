package graph

import (
	"os"
	"testing"
)

func TestDemoWrite(t *testing.T) {
	if os.Getenv("GRAPH_DEMO") == "" {
		t.Skip()
	}
	for _, s := range shapes {
		os.WriteFile("/tmp/graph-"+s.kind+fmtArgs(s.args)+".svg", SVG(Build(genLab(t, s.kind, s.args...), Options{})), 0o644)
	}
}

func fmtArgs(a []int) string {
	s := ""
	for _, x := range a {
		s += "-" + string(rune('0'+x%10))
	}
	return s
}
