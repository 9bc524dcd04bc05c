package lab

import (
	"testing"

	"github.com/topo-lab/topo/pkg/gen"
	"github.com/topo-lab/topo/pkg/topology"
)

// generated is the lab `topo gen KIND ARGS...` prints, parsed; the test
// fails when either step does.
func generated(t *testing.T, kind string, args ...int) *topology.Lab {
	t.Helper()
	data, err := gen.Generate(kind, args, gen.Options{Name: kind})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := topology.Parse(kind+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
