package topology

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestIndexesAgree: NodesByName and AddressesByNode answer as Node and
// Addresses do, for every node of every example.
func TestIndexesAgree(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l, _, err := Parse(f, data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		byName, addrs := l.NodesByName(), l.AddressesByNode()
		if len(byName) != len(l.Nodes) {
			t.Errorf("%s: NodesByName has %d nodes, the lab %d", f, len(byName), len(l.Nodes))
		}
		for _, n := range l.Nodes {
			if byName[n.Name] != l.Node(n.Name) {
				t.Errorf("%s: NodesByName[%s] is not Node(%s)", f, n.Name, n.Name)
			}
			if got, want := addrs[n.Name], l.Addresses(n.Name); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: AddressesByNode[%s] = %v, Addresses = %v", f, n.Name, got, want)
			}
		}
	}
}
