package gen

// ring is a linear chain closed into a loop: switches s1..sN, host hI on
// sI, links in linear's order followed by sN-s1. The loop needs spanning
// tree, so every switch has stp on. Not one of Mininet's stock
// topologies.
var ring = shape{
	Shape: Shape{
		Kind:    "ring",
		Params:  []string{"N"},
		Example: "4",
		Summary: "switches s1..sN in a loop with STP, host hI on sI",
	},
	least:    3,
	lessNote: " (a loop needs 3 switches; use linear for fewer)",
	size: func(a []int) (int, int, error) {
		return a[0], a[0], nil
	},
	build: func(g *graph, a []int) {
		linear.build(g, a)
		g.addLink(node{n: a[0]}, node{n: 1})
		g.stp = true
	},
}
