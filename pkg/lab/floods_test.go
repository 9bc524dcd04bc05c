package lab

import (
	"testing"

	"github.com/topo-lab/topo/pkg/gen"
	"github.com/topo-lab/topo/pkg/topology"
)

func TestOverBacklog(t *testing.T) {
	data, err := gen.Generate("tree", []int{2, 8}, gen.Options{Name: "floods"})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := topology.Parse("floods.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if over := overBacklog(l, 64); len(over) != 0 {
		t.Errorf("64 hosts, backlog 64: %v over it", over)
	}
	over := overBacklog(l, 63)
	if len(over) != 9 || !over["s1"] || !over["s9"] || over["h1"] {
		t.Errorf("64 hosts on s1..s9, backlog 63: over it %v; want the 9 switches", over)
	}
}
