package graph

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/topo-lab/topo/pkg/gen"
	"github.com/topo-lab/topo/pkg/topology"
)

// genLab builds a generated lab the way `topo gen | topo graph -` does.
func genLab(t testing.TB, kind string, args ...int) *topology.Lab {
	t.Helper()
	data, err := gen.Generate(kind, args, gen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := topology.Parse(kind+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// shapes are generated labs from 2 to 60 nodes (and one larger), of
// every shape gen makes.
var shapes = []struct {
	kind string
	args []int
}{
	{"single", []int{1}}, {"single", []int{2}}, {"linear", []int{1}}, {"linear", []int{2}},
	{"linear", []int{5}}, {"linear", []int{10}}, {"linear", []int{30}},
	{"tree", []int{1, 2}}, {"tree", []int{2, 2}}, {"tree", []int{2, 4}}, {"tree", []int{3, 3}},
	{"tree", []int{2, 7}}, {"star", []int{3}}, {"star", []int{10}}, {"star", []int{29}},
	{"ring", []int{3}}, {"ring", []int{5}}, {"ring", []int{12}}, {"ring", []int{30}},
	{"fattree", []int{2}}, {"fattree", []int{4}},
}

// boxes are every node box and link label of g, named for messages.
func boxes(g *Graph) (names []string, bs []Box) {
	for _, n := range g.Nodes {
		names, bs = append(names, "node "+n.ID), append(bs, n.Box)
	}
	for _, l := range g.Links {
		names, bs = append(names, "label of "+l.ID), append(bs, l.Label)
	}
	return names, bs
}

func overlap(a, b Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func TestLayoutNoOverlap(t *testing.T) {
	for _, s := range shapes {
		t.Run(fmt.Sprint(s.kind, s.args), func(t *testing.T) {
			l := genLab(t, s.kind, s.args...)
			if n := len(l.Nodes); n < 2 || n > 60 {
				t.Fatalf("%d nodes: the table is meant for 2 to 60ish", n)
			}
			g := Build(l, Options{})
			names, bs := boxes(g)
			for i := range bs {
				b := bs[i]
				if b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > g.Width || b.Y+b.H > g.Height {
					t.Errorf("%s %+v is not inside the %dx%d drawing", names[i], b, g.Width, g.Height)
				}
				for j := i + 1; j < len(bs); j++ {
					if overlap(b, bs[j]) {
						t.Errorf("%s %+v overlaps %s %+v", names[i], b, names[j], bs[j])
					}
				}
			}
			for _, n := range g.Nodes {
				if w, _ := nodeSize(n); n.W < w {
					t.Errorf("node %s is %d wide, its text needs %d", n.ID, n.W, w)
				}
			}
		})
	}
}

func TestLayoutDeterministic(t *testing.T) {
	for _, s := range shapes {
		l := genLab(t, s.kind, s.args...)
		first := JSON(Build(l, Options{}))
		for range 5 {
			// A fresh load each time: nothing may depend on map order.
			if again := JSON(Build(genLab(t, s.kind, s.args...), Options{})); !bytes.Equal(first, again) {
				t.Fatalf("%s %v: two layouts of the same lab differ", s.kind, s.args)
			}
		}
	}
}

// TestLayoutTreeIsLayered: a tree is drawn top-down, each switch above
// its children, so the layering is a real one.
func TestLayoutTreeIsLayered(t *testing.T) {
	g := Build(genLab(t, "tree", 2, 3), Options{})
	byID := map[string]*Node{}
	for _, n := range g.Nodes {
		byID[n.ID] = n
	}
	for _, l := range g.Links {
		a, b := byID[l.A.Node], byID[l.B.Node]
		if a.Y == b.Y {
			t.Errorf("link %s joins two nodes of one layer in a tree", l.ID)
		}
		if ly := l.Label.Y; ly <= min(a.Y, b.Y) || ly >= max(a.Y, b.Y) {
			t.Errorf("label of %s at y=%d is not between its ends (%d, %d)", l.ID, ly, a.Y, b.Y)
		}
	}
}

func TestGroupLargeLab(t *testing.T) {
	l := genLab(t, "tree", 2, 20) // 400 hosts on 20 switches
	g := Build(l, Options{})
	groups := 0
	for _, n := range g.Nodes {
		if n.Kind == KindGroup {
			groups++
			if n.Count != 20 || n.Lines[0] != n.ID[:len(n.ID)-len("/hosts")]+": 20 hosts" {
				t.Errorf("group %s: count %d, text %q", n.ID, n.Count, n.Lines)
			}
		}
		if n.Kind == KindHost {
			t.Errorf("host %s drawn alone in a 400-host lab", n.ID)
		}
	}
	if groups != 20 {
		t.Errorf("%d group nodes, want 20", groups)
	}
	if e := Build(l, Options{Expand: true}); len(e.Nodes) != len(l.Nodes) {
		t.Errorf("--expand drew %d nodes of %d", len(e.Nodes), len(l.Nodes))
	}
}

// TestLayoutLargeNoOverlap: a 931-node lab, grouped and expanded, still
// has no overlapping boxes.
func TestLayoutLargeNoOverlap(t *testing.T) {
	l := genLab(t, "tree", 2, 30)
	for _, o := range []Options{{}, {Expand: true}} {
		g := Build(l, o)
		names, bs := boxes(g)
		for i := range bs {
			for j := i + 1; j < len(bs); j++ {
				if overlap(bs[i], bs[j]) {
					t.Fatalf("expand %v: %s %+v overlaps %s %+v", o.Expand, names[i], bs[i], names[j], bs[j])
				}
			}
		}
	}
}
