package gen

// tree is Mininet's TreeTopo: a switch at every level above 0 with
// FANOUT children, a host at depth 0. Switches and hosts are numbered in
// depth-first pre-order as addTree creates them, and each link
// (parent, child) is added right after the child's subtree is built,
// exactly as Mininet does.
var tree = shape{
	Shape: Shape{
		Kind:    "tree",
		Params:  []string{"DEPTH", "FANOUT"},
		Example: "2 16",
		Summary: "DEPTH levels of switches, FANOUT children each, FANOUT^DEPTH hosts (Mininet's tree,DEPTH,FANOUT)",
	},
	size: func(a []int) (int, int, error) {
		depth, fanout := a[0], a[1]
		if fanout == 1 {
			return 1, depth, nil
		}
		// Count level by level, stopping once past the limits so huge
		// arguments cannot overflow.
		hosts, switches := 1, 0
		for range depth {
			switches += hosts
			hosts *= fanout
			if hosts > MaxHosts {
				break
			}
		}
		return hosts, switches, nil
	},
	build: func(g *graph, a []int) { addTree(g, a[0], a[1]) },
}

// addTree is Mininet's TreeTopo.addTree.
func addTree(g *graph, depth, fanout int) node {
	if depth == 0 {
		return g.addHost()
	}
	n := g.addSwitch()
	for range fanout {
		child := addTree(g, depth-1, fanout)
		g.addLink(n, child)
	}
	return n
}
