package graph

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

var updateDocs = flag.Bool("update", false, "rewrite the README's pictures (docs/*.svg)")

// TestDocsPictureInSync keeps the README's pictures what topo graph
// draws; run `go test ./pkg/graph -run DocsPicture -update` after
// changing the layout or the SVG.
func TestDocsPictureInSync(t *testing.T) {
	for _, c := range []struct{ file, svg string }{
		{"../../examples/three-subnets.yaml", "../../docs/three-subnets.svg"},
		{"../../deploy/lab.yaml", "../../docs/sites.svg"},
	} {
		l, _, err := topology.Load(c.file)
		if err != nil {
			t.Fatal(err)
		}
		want := SVG(Build(l, Options{}))
		if *updateDocs {
			if err := os.WriteFile(c.svg, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(c.svg)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what topo graph draws of %s (%v); run `go test ./pkg/graph -run DocsPicture -update`", c.svg, c.file, err)
		}
	}
}
