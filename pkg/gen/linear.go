package gen

// linear is Mininet's LinearTopo with one host per switch: switches
// s1..sN in a chain, host hI on sI. Links come in Mininet's order: h1-s1,
// then for each later switch hI-sI and sI-s(I-1).
var linear = shape{
	Shape: Shape{
		Kind:    "linear",
		Params:  []string{"N"},
		Example: "4",
		Summary: "switches s1..sN in a chain, host hI on sI (Mininet's linear,N)",
	},
	size: func(a []int) (int, int, error) { return a[0], a[0], nil },
	build: func(g *graph, a []int) {
		var last node
		for i := range a[0] {
			s := g.addSwitch()
			g.addLink(g.addHost(), s)
			if i > 0 {
				g.addLink(s, last)
			}
			last = s
		}
	},
}
