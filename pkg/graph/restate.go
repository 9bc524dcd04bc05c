package graph

// Restate is a live picture g with the interfaces in the states given
// (keyed "node:iface", as the kernel names them: "up", "down",
// "lowerlayerdown", ...), each link's Down and label redone and the
// whole laid out again: what Build gives with those states, without
// reading the rest of the lab again. Ends not in states keep theirs; a
// group's line and a picture drawn from a file (no states) are left as
// they are. g is not changed.
func Restate(g *Graph, states map[string]string) *Graph {
	out := *g
	out.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		c := *n
		out.Nodes[i] = &c
	}
	out.Sites = make([]*SiteFrame, len(g.Sites))
	for i, f := range g.Sites {
		c := *f
		out.Sites[i] = &c
	}
	if g.Sites == nil {
		out.Sites = nil
	}
	out.Links = make([]*Link, len(g.Links))
	for i, l := range g.Links {
		c := *l
		out.Links[i] = &c
		if c.Count > 0 || c.A.State == "" {
			continue
		}
		for _, e := range []*End{&c.A, &c.B} {
			if st, ok := states[e.Node+":"+e.Iface]; ok && e.State != "" {
				e.State = st
			}
		}
		c.Down = isDown(c.A.State) || isDown(c.B.State)
		c.Lines = linkLines(&c)
	}
	layout(&out)
	return &out
}

// isDown is whether an interface in that kernel state carries nothing.
func isDown(state string) bool { return state == "down" || state == "lowerlayerdown" }
