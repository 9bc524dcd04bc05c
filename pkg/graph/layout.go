package graph

import (
	"sort"
)

// Sizes of the drawing, in pixels. Text is monospace, CharW wide per
// character and LineH high per line, so boxes fit their labels without
// measuring fonts.
const (
	CharW   = 8
	LineH   = 16
	margin  = 20
	gapX    = 24 // between boxes of one row
	gapY    = 28 // between rows
	gapComp = 48 // between unconnected parts of a lab
	minNode = 64
)

// item is one box of a row: a node, or the label of a link (the dummy
// node of a layered layout, which keeps lines from crossing labels).
type item struct {
	node  *Node
	link  *Link
	row   int
	w, h  int
	x     float64 // centre
	nbrs  []*item
	first int // order of discovery, the tie breaker
}

// layout places g's nodes and link labels: a layered (Sugiyama-style)
// layout. Each connected part is laid out alone: breadth-first layers
// from its best-connected switch or router, link labels in a row of
// their own between the layers of their ends, rows ordered by the
// barycentre heuristic, boxes placed at the mean of their neighbours and
// pushed apart (never overlapping), parts side by side. Deterministic:
// no map is iterated unsorted, ties keep the file's order.
func layout(g *Graph) {
	byID := map[string]*item{}
	var items []*item
	for i, n := range g.Nodes {
		it := &item{node: n, first: i}
		it.w, it.h = nodeSize(n)
		byID[n.ID] = it
		items = append(items, it)
	}
	var labels, tunnels []*item
	for i, l := range g.Links {
		a, b := byID[l.A.Node], byID[l.B.Node]
		if a == nil || b == nil {
			continue
		}
		lb := &item{link: l, first: len(g.Nodes) + i}
		lb.w, lb.h = labelSize(l.Lines)
		lb.nbrs = []*item{a, b}
		if a.node.Site != b.node.Site {
			// A tunnel between sites: its label is laid out below the
			// frames (layoutSites), not with either site's nodes.
			tunnels = append(tunnels, lb)
			continue
		}
		labels = append(labels, lb)
		a.nbrs = append(a.nbrs, lb)
		b.nbrs = append(b.nbrs, lb)
	}
	if len(g.Sites) > 0 {
		layoutSites(g, items, labels, tunnels)
	} else {
		w, h := layoutSet(items, labels, margin, margin)
		g.Width = max(w+2*margin, 2*margin)
		g.Height = h + 2*margin
	}
	for _, lb := range append(labels, tunnels...) {
		l := lb.link
		a, b := lb.nbrs[0], lb.nbrs[1]
		l.Points = []Point{center(a), {int(lb.x), l.Label.Y + l.Label.H/2}, center(b)}
	}
}

// layoutSet lays out items and the labels of the links between them
// with its top left corner at (left, top): each connected part alone,
// parts side by side in the order of their first item. It returns the
// width and height used (0, 0 for no items).
func layoutSet(items, labels []*item, left, top int) (int, int) {
	adj := map[*item][]*item{}
	for _, lb := range labels {
		a, b := lb.nbrs[0], lb.nbrs[1]
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	// Connected parts, in the order of their first node.
	comp := map[*item]int{}
	var parts [][]*item
	for _, it := range items {
		if _, ok := comp[it]; ok {
			continue
		}
		var part []*item
		stack := []*item{it}
		comp[it] = len(parts)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			part = append(part, x)
			for _, y := range adj[x] {
				if _, ok := comp[y]; !ok {
					comp[y] = len(parts)
					stack = append(stack, y)
				}
			}
		}
		sort.Slice(part, func(i, j int) bool { return part[i].first < part[j].first })
		parts = append(parts, part)
	}
	partLabels := make([][]*item, len(parts))
	for _, lb := range labels {
		c := comp[lb.nbrs[0]]
		partLabels[c] = append(partLabels[c], lb)
	}
	offset := left
	height := 0
	for i, part := range parts {
		w, h := layoutPart(part, partLabels[i], adj, offset, top)
		offset += w + gapComp
		height = max(height, h)
	}
	if len(parts) == 0 {
		return 0, 0
	}
	return offset - gapComp - left, height
}

func center(it *item) Point {
	n := it.node
	return Point{n.X + n.W/2, n.Y + n.H/2}
}

// layoutPart lays out one connected part with its top left corner at
// (left, top), and returns its width and height.
func layoutPart(part, labels []*item, adj map[*item][]*item, left, top int) (int, int) {
	// The root: the centre of the part (the switch or router from which
	// the farthest node is nearest), so a tree hangs from its top; ties go
	// to the one with most links, then to the first in the file. Parts
	// with many switches use the most links alone (a BFS from each would
	// cost too much).
	var cands []*item
	for _, it := range part {
		if it.node.Kind != KindHost && it.node.Kind != KindGroup {
			cands = append(cands, it)
		}
	}
	if len(cands) == 0 {
		cands = part
	}
	ecc := func(from *item) int {
		if len(cands) > 200 {
			return 0
		}
		dist := map[*item]int{from: 0}
		queue, far := []*item{from}, 0
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			far = max(far, dist[x])
			for _, y := range adj[x] {
				if _, ok := dist[y]; !ok {
					dist[y] = dist[x] + 1
					queue = append(queue, y)
				}
			}
		}
		return far
	}
	root, best := cands[0], ecc(cands[0])
	for _, it := range cands[1:] {
		e := ecc(it)
		if e < best || e == best && len(adj[it]) > len(adj[root]) {
			root, best = it, e
		}
	}
	layer := map[*item]int{root: 0}
	queue := []*item{root}
	var order []*item
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		order = append(order, x)
		next := append([]*item(nil), adj[x]...)
		sort.SliceStable(next, func(i, j int) bool { return next[i].first < next[j].first })
		for _, y := range next {
			if _, ok := layer[y]; !ok {
				layer[y] = layer[x] + 1
				queue = append(queue, y)
			}
		}
	}
	nrows := 0
	for _, it := range order {
		it.row = 2 * layer[it]
		nrows = max(nrows, it.row+1)
	}
	for _, lb := range labels {
		lb.row = 2*min(layer[lb.nbrs[0]], layer[lb.nbrs[1]]) + 1
		nrows = max(nrows, lb.row+1)
	}
	rows := make([][]*item, nrows)
	for _, it := range order {
		rows[it.row] = append(rows[it.row], it)
	}
	sort.SliceStable(labels, func(i, j int) bool { return labels[i].first < labels[j].first })
	for _, lb := range labels {
		rows[lb.row] = append(rows[lb.row], lb)
	}
	pos := map[*item]float64{}
	setPos := func(r []*item) {
		for i, it := range r {
			pos[it] = float64(i)
		}
	}
	for _, r := range rows {
		setPos(r)
	}
	// Crossing reduction: barycentre sweeps down and up.
	bary := func(it *item, dir int) (float64, bool) {
		sum, n := 0.0, 0
		for _, y := range it.nbrs {
			if y.row == it.row+dir || (it.link != nil && dir < 0 && y.row == it.row-1) {
				sum += pos[y]
				n++
			}
		}
		if n == 0 {
			return pos[it], false
		}
		return sum / float64(n), true
	}
	sweep := func(r []*item, dir int) {
		key := map[*item]float64{}
		for _, it := range r {
			key[it], _ = bary(it, dir)
		}
		sort.SliceStable(r, func(i, j int) bool { return key[r[i]] < key[r[j]] })
		setPos(r)
	}
	for range 6 {
		for i := 1; i < nrows; i++ {
			sweep(rows[i], -1)
		}
		for i := nrows - 2; i >= 0; i-- {
			sweep(rows[i], +1)
		}
	}
	for i := 1; i < nrows; i++ {
		sweep(rows[i], -1)
	}
	// Coordinates: pack each row, then move boxes toward the mean of
	// their neighbours, keeping order and gaps.
	for _, r := range rows {
		x := 0.0
		for _, it := range r {
			it.x = x + float64(it.w)/2
			x += float64(it.w + gapX)
		}
	}
	for range 8 {
		for i := 1; i < nrows; i++ {
			place(rows[i], -1)
		}
		for i := nrows - 2; i >= 0; i-- {
			place(rows[i], +1)
		}
	}
	for range 4 {
		for i := 0; i < nrows; i++ {
			place(rows[i], 0)
		}
	}
	minX := 0.0
	first := true
	maxX := 0.0
	for _, r := range rows {
		for _, it := range r {
			l, rr := it.x-float64(it.w)/2, it.x+float64(it.w)/2
			if first || l < minX {
				minX = l
			}
			if first || rr > maxX {
				maxX = rr
			}
			first = false
		}
	}
	y := top
	for _, r := range rows {
		h := 0
		for _, it := range r {
			h = max(h, it.h)
		}
		for _, it := range r {
			it.x = float64(int(it.x - minX + float64(left) + 0.5))
			b := Box{X: int(it.x) - it.w/2, Y: y + (h-it.h)/2, W: it.w, H: it.h}
			if it.node != nil {
				it.node.Box = b
			} else {
				it.link.Label = b
			}
		}
		y += h + gapY
	}
	return int(maxX - minX + 0.5), y - gapY - top
}

// place moves a row's boxes toward the mean centre of their neighbours
// in the row above (dir -1), below (+1) or both (0), keeping their order and at
// least gapX between them: boxes that would overlap form a block placed
// at the mean of what its boxes want (one-dimensional quadratic
// placement).
func place(r []*item, dir int) {
	want := make([]float64, len(r))
	for i, it := range r {
		sum, n := 0.0, 0
		for _, y := range it.nbrs {
			if dir == 0 || y.row == it.row+dir || (it.link != nil && y.row == it.row-1 && dir < 0) {
				sum += y.x
				n++
			}
		}
		if n == 0 {
			want[i] = it.x
		} else {
			want[i] = sum / float64(n)
		}
	}
	type block struct {
		start, end int     // items [start, end)
		sum        float64 // sum of want - offset
		width      float64
		off        []float64
	}
	var blocks []*block
	for i, it := range r {
		b := &block{start: i, end: i + 1, sum: want[i], width: float64(it.w), off: []float64{0}}
		blocks = append(blocks, b)
		for len(blocks) > 1 {
			p, q := blocks[len(blocks)-2], blocks[len(blocks)-1]
			pc := p.sum / float64(p.end-p.start)
			qc := q.sum / float64(q.end-q.start)
			// p's right edge vs q's left edge, box centre offsets from
			// the block's first centre.
			pRight := pc + p.off[len(p.off)-1] + float64(r[p.end-1].w)/2
			qLeft := qc - float64(r[q.start].w)/2
			if pRight+gapX <= qLeft {
				break
			}
			shift := p.off[len(p.off)-1] + float64(r[p.end-1].w)/2 + gapX + float64(r[q.start].w)/2
			for _, o := range q.off {
				p.off = append(p.off, shift+o)
				p.sum += 0
			}
			// Recompute the block's sum: mean over items of want - offset.
			p.end = q.end
			p.sum = 0
			for k := p.start; k < p.end; k++ {
				p.sum += want[k] - p.off[k-p.start]
			}
			blocks = blocks[:len(blocks)-1]
		}
	}
	for _, b := range blocks {
		c := b.sum / float64(b.end-b.start)
		for k := b.start; k < b.end; k++ {
			r[k].x = c + b.off[k-b.start]
		}
	}
}

func nodeSize(n *Node) (int, int) {
	w := 0
	for _, l := range n.Lines {
		w = max(w, textWidth(l))
	}
	return max(minNode, w+20), len(n.Lines)*LineH + 16
}

func labelSize(lines []string) (int, int) {
	w := 0
	for _, l := range lines {
		w = max(w, textWidth(l))
	}
	return w + 12, len(lines)*LineH + 8
}

// textWidth is a line's width in pixels: CharW per character (runes,
// so "→" counts once).
func textWidth(s string) int { return len([]rune(s)) * CharW }
