package graph

import "sort"

// Frames of sites, in pixels: the space between a frame and what it
// holds, and the height of its title.
const (
	framePad    = 14
	frameTitleH = LineH + 10
)

// layoutSites lays out a lab with sites: one column per site, in file
// order, each a frame (its title at the top) around its nodes and the
// labels of its links, laid out as a lab of its own; then, in a row
// below every frame, the labels of the tunnels between sites, each
// placed under the middle of its two ends and pushed apart so that
// none overlaps another. So nothing of one site is drawn inside
// another's frame. Nodes of no known site (none, from a valid file)
// are laid out after the frames, unframed.
func layoutSites(g *Graph, items, labels, tunnels []*item) {
	bySite := map[string][]*item{}
	for _, it := range items {
		bySite[it.node.Site] = append(bySite[it.node.Site], it)
	}
	labelsOf := map[string][]*item{}
	for _, lb := range labels {
		s := lb.nbrs[0].node.Site
		labelsOf[s] = append(labelsOf[s], lb)
	}
	left, bottom, right := margin, margin, margin
	framed := map[string]bool{}
	for _, f := range g.Sites {
		framed[f.Name] = true
		w, h := layoutSet(bySite[f.Name], labelsOf[f.Name], left+framePad, margin+frameTitleH)
		f.Box = Box{X: left, Y: margin, W: max(w, textWidth(f.Title()), minNode) + 2*framePad, H: frameTitleH + h + framePad}
		left += f.W + gapComp
		bottom = max(bottom, f.Y+f.H)
		right = f.X + f.W
	}
	var rest []*item
	for _, it := range items {
		if !framed[it.node.Site] {
			rest = append(rest, it)
		}
	}
	if len(rest) > 0 {
		var restLabels []*item
		for _, lb := range labels {
			if !framed[lb.nbrs[0].node.Site] {
				restLabels = append(restLabels, lb)
			}
		}
		w, h := layoutSet(rest, restLabels, left, margin)
		right = max(right, left+w)
		bottom = max(bottom, margin+h)
	}
	if len(tunnels) > 0 {
		top := bottom + gapY
		for _, lb := range tunnels {
			lb.x = (lb.nbrs[0].x + lb.nbrs[1].x) / 2
		}
		row := append([]*item(nil), tunnels...)
		sort.SliceStable(row, func(i, j int) bool { return row[i].x < row[j].x })
		place(row, 0)
		h, minX := 0, row[0].x-float64(row[0].w)/2
		for _, lb := range row {
			h = max(h, lb.h)
		}
		shift := max(0, float64(margin)-minX)
		for _, lb := range row {
			lb.x = float64(int(lb.x + shift + 0.5))
			lb.link.Label = Box{X: int(lb.x) - lb.w/2, Y: top + (h-lb.h)/2, W: lb.w, H: lb.h}
			right = max(right, lb.link.Label.X+lb.w)
		}
		bottom = top + h
	}
	g.Width = right + margin
	g.Height = bottom + margin
}
