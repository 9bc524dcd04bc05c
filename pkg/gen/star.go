package gen

// star is a hub switch s1 with N leaf switches s2..s(N+1), each holding
// one host: hI on s(I+1). It differs from single (hosts straight on one
// switch) by giving every host its own access switch, so traffic between
// any two hosts crosses three bridges. Links come per leaf: s1-leaf, then
// hI-leaf. Not one of Mininet's stock topologies.
var star = shape{
	Shape: Shape{
		Kind:    "star",
		Params:  []string{"N"},
		Example: "4",
		Summary: "hub switch s1 with leaf switches s2..s(N+1), host hI on s(I+1)",
	},
	size: func(a []int) (int, int, error) { return a[0], a[0] + 1, nil },
	build: func(g *graph, a []int) {
		hub := g.addSwitch()
		for range a[0] {
			leaf := g.addSwitch()
			g.addLink(hub, leaf)
			g.addLink(g.addHost(), leaf)
		}
	},
}
