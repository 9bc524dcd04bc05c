package gen

// single is Mininet's SingleSwitchTopo: switch s1 with hosts h1..hN.
var single = shape{
	Shape: Shape{
		Kind:    "single",
		Params:  []string{"N"},
		Example: "4",
		Summary: "one switch s1 with hosts h1..hN (Mininet's single,N)",
	},
	size: func(a []int) (int, int, error) { return a[0], 1, nil },
	build: func(g *graph, a []int) {
		s := g.addSwitch()
		for range a[0] {
			g.addLink(g.addHost(), s)
		}
	},
}
