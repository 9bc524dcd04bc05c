package gen

// fattree is the k-ary fat tree of Al-Fares et al. (SIGCOMM 2008):
// (K/2)^2 core switches, K pods of K/2 aggregation and K/2 edge switches,
// K/2 hosts on each edge switch, K^3/4 hosts in all. Aggregation switch i
// of every pod connects to core switches i*K/2+1 .. (i+1)*K/2; each
// aggregation switch connects to every edge switch of its pod.
//
// Switches are numbered core first, then pod by pod its aggregation
// then its edge switches; hosts are numbered edge switch by edge switch.
// Links come pod by pod: core-aggregation, aggregation-edge, edge-host.
// For K >= 4 the tree has loops, so every switch has stp on; K = 2 is a
// plain tree and has none. Not one of Mininet's stock topologies.
var fattree = shape{
	Shape: Shape{
		Kind:    "fattree",
		Params:  []string{"K"},
		Example: "4",
		Summary: "k-ary fat tree, K even: 5K^2/4 switches with STP, K^3/4 hosts",
	},
	least: 2,
	size: func(a []int) (int, int, error) {
		k := a[0]
		if k%2 != 0 {
			return 0, 0, usageErr("fattree", "fattree: K must be even, got %d, e.g. topo gen fattree 4", k)
		}
		if k > 1000 { // far past MaxHosts; avoids overflow in k^3
			return MaxHosts + 1, 0, nil
		}
		return k * k * k / 4, 5 * k * k / 4, nil
	},
	build: func(g *graph, a []int) {
		k := a[0]
		h := k / 2
		core := make([]node, h*h)
		for i := range core {
			core[i] = g.addSwitch()
		}
		for range k {
			agg := make([]node, h)
			edge := make([]node, h)
			for i := range agg {
				agg[i] = g.addSwitch()
			}
			for i := range edge {
				edge[i] = g.addSwitch()
			}
			for i, ag := range agg {
				for j := range h {
					g.addLink(core[i*h+j], ag)
				}
			}
			for _, ag := range agg {
				for _, ed := range edge {
					g.addLink(ag, ed)
				}
			}
			for _, ed := range edge {
				for range h {
					g.addLink(ed, g.addHost())
				}
			}
		}
		g.stp = k >= 4
	},
}
