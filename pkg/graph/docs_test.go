package graph

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/three-subnets.svg")

// TestDocsPictureInSync keeps the README's picture what topo graph
// draws; run `go test ./pkg/graph -run DocsPicture -update` after
// changing the layout or the SVG.
func TestDocsPictureInSync(t *testing.T) {
	l, _, err := topology.Load("../../examples/three-subnets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := SVG(Build(l, Options{}))
	path := "../../docs/three-subnets.svg"
	if *updateDocs {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not what topo graph draws (%v); run `go test ./pkg/graph -run DocsPicture -update`", path, err)
	}
}
