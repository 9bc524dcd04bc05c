package gen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite examples/tree-2-4.yaml from Generate")

// TestExampleInSync keeps the checked-in example equal to what the
// generator prints; run `go test ./pkg/gen -run Example -update` after
// changing the output format.
func TestExampleInSync(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "tree-2-4.yaml")
	want := generate(t, "tree", 2, 4)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from Generate(tree, [2 4]); run `go test ./pkg/gen -run ExampleInSync -update`", path)
	}
}
