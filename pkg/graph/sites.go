package graph

import "github.com/topo-lab/topo/pkg/topology"

// addSites gives a picture of a lab with sites: its frames, one per
// site that holds a node drawn, in file order. For one site's part of a lab (a running lab on
// one of its machines), the far end of each tunnel is a node of
// another site: it is drawn too, in its site's frame, marked Remote,
// so that the tunnel has two ends. A lab without sites is left as it
// is.
func addSites(g *Graph, l *topology.Lab) {
	if len(l.Sites) == 0 {
		return
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	for _, n := range g.Nodes {
		seen[n.ID], used[n.Site] = true, true
	}
	for _, lk := range l.Links {
		if lk.Tunnel == nil {
			continue
		}
		far := lk.Ends[1].Node
		if seen[far] {
			continue
		}
		seen[far] = true
		g.Nodes = append(g.Nodes, &Node{ID: far, Kind: KindHost, Lines: []string{far}, Site: lk.Tunnel.Site, Remote: true})
		used[lk.Tunnel.Site] = true
	}
	for _, s := range l.Sites {
		if used[s.Name] {
			g.Sites = append(g.Sites, &SiteFrame{Name: s.Name, Underlay: s.Underlay.String()})
		}
	}
}

// siteOf is the site of node n of l ("" without sites).
func siteOf(l *topology.Lab, n string) string {
	if nd := l.Node(n); nd != nil {
		return nd.Site
	}
	return ""
}
