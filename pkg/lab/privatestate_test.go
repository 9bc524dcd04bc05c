package lab

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestPrivateOverState(t *testing.T) {
	l := &topology.Lab{Nodes: []*topology.Node{
		{Name: "a", Private: []string{"/srv"}, Pos: topology.Pos{File: "lab.yaml", Line: 3}},
		{Name: "b", Private: []string{"/srv/topo/x", "/var/www"}},
		{Name: "c", Private: []string{"/srv/topology", "/srv/top"}},
	}}
	err := privateOverState(l, "/srv/topo/")
	if err == nil {
		t.Fatal("no error for private paths over the state directory")
	}
	for _, want := range []string{
		"lab.yaml:3: node a: private path /srv overlaps topo's state directory /srv/topo (TOPO_STATE_DIR)",
		"\nnode b: private path /srv/topo/x overlaps",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "node c") || strings.Contains(err.Error(), "/var/www") {
		t.Errorf("paths beside the state directory refused: %v", err)
	}
	if err := privateOverState(l, "/run/topo"); err != nil {
		t.Errorf("refused with the state directory elsewhere: %v", err)
	}
}
