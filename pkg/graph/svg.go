package graph

import (
	"bytes"
	"fmt"
	"html"
	"strings"
)

// Colours of the picture, shared with the web view's stylesheet.
const (
	colHost    = "#e8f0fe"
	colRouter  = "#fde8c8"
	colSwitch  = "#e0f2e9"
	colGroup   = "#eeeeee"
	colLine    = "#555555"
	colGrey    = "#bbbbbb"
	colFail    = "#d93025"
	colMissing = "#999999"
	colTunnel  = "#7b1fa2"
	colSite    = "#faf7fc"
)

// SVG renders g as a standalone SVG document, laid out by layout: the
// same input gives the same bytes. Lines go under boxes; a down link is
// dashed, a link with a blocking port grey; a node in a failed pair has
// a red border; the overlaid pairs are listed under the picture.
func SVG(g *Graph) []byte {
	var b bytes.Buffer
	legend := pairLines(g)
	h := g.Height
	if len(legend) > 0 {
		h += len(legend)*LineH + margin
	}
	w := g.Width
	for _, l := range legend {
		w = max(w, textWidth(l)+2*margin)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="monospace" font-size="13">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, "<title>lab %s</title>\n", esc(g.Lab))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", w, h)
	for _, f := range g.Sites {
		fmt.Fprintf(&b, `<g class="site" data-id="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="8 4"/>`,
			esc(f.Name), f.X, f.Y, f.W, f.H, colSite, colTunnel)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s" font-weight="bold">%s</text></g>`+"\n", f.X+framePad, f.Y+LineH+2, colTunnel, esc(f.Title()))
	}
	for _, l := range g.Links {
		stroke, dash := colLine, ""
		if l.VNI != 0 {
			stroke = colTunnel
		}
		if l.Blocking {
			stroke = colGrey
		}
		if l.Down {
			dash = ` stroke-dasharray="6 4"`
		}
		width := 1.5
		if l.Count > 0 {
			width = 4
		}
		var pts []string
		for _, p := range l.Points {
			pts = append(pts, fmt.Sprintf("%d,%d", p.X, p.Y))
		}
		fmt.Fprintf(&b, `<polyline class="link" data-id="%s" points="%s" fill="none" stroke="%s" stroke-width="%g"%s/>`+"\n",
			esc(l.ID), strings.Join(pts, " "), stroke, width, dash)
	}
	for _, p := range g.Pairs {
		if !p.Checked || p.OK {
			continue
		}
		a, z := findNode(g, p.From), findNode(g, p.To)
		if a == nil || z == nil {
			continue
		}
		fmt.Fprintf(&b, `<line class="pair" x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="2 4"/>`+"\n",
			a.X+a.W/2, a.Y+a.H/2, z.X+z.W/2, z.Y+z.H/2, colFail)
	}
	for _, l := range g.Links {
		box := l.Label
		stroke := colGrey
		fmt.Fprintf(&b, `<g class="label" data-id="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="#ffffff" stroke="%s"/>`,
			esc(l.ID), box.X, box.Y, box.W, box.H, stroke)
		text(&b, box.X+6, box.Y+4, l.Lines, "start")
		b.WriteString("</g>\n")
	}
	for _, n := range g.Nodes {
		fill, rx := colHost, 6
		switch n.Kind {
		case KindRouter:
			fill, rx = colRouter, n.H/2
		case KindSwitch:
			fill, rx = colSwitch, 0
		case KindGroup:
			fill = colGroup
		}
		stroke, sw := colLine, 1.5
		if n.Failed {
			stroke, sw = colFail, 3
		}
		dash := ""
		if n.Missing || n.Remote {
			stroke, dash = colMissing, ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(&b, `<g class="node %s" data-id="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="%s" stroke="%s" stroke-width="%g"%s/>`,
			n.Kind, esc(n.ID), n.X, n.Y, n.W, n.H, rx, fill, stroke, sw, dash)
		text(&b, n.X+n.W/2, n.Y+8, n.Lines, "middle")
		b.WriteString("</g>\n")
	}
	for i, l := range legend {
		colour := "#000000"
		if strings.HasPrefix(l, "✗") {
			colour = colFail
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", margin, g.Height+i*LineH+12, colour, esc(l))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// text writes lines from (x, y), the top of the first line.
func text(b *bytes.Buffer, x, y int, lines []string, anchor string) {
	for i, l := range lines {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s">%s</text>`, x, y+i*LineH+12, anchor, esc(l))
	}
}

func esc(s string) string { return html.EscapeString(s) }

func findNode(g *Graph, id string) *Node {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// pairLines lists the overlaid pairs, one line each: "✓ h1 → h2 must
// reach", "✗ h1 → h3 must reach: no-route", "· h2 → h3 must not
// reach"; then a running lab's drift, "✗ drift: ..." each.
func pairLines(g *Graph) []string {
	var out []string
	for _, p := range g.Pairs {
		out = append(out, PairText(p))
	}
	for _, d := range g.Drift {
		out = append(out, "✗ drift: "+d)
	}
	return out
}

// PairText is one overlaid pair in words.
func PairText(p *Pair) string {
	mark := "·"
	if p.Checked {
		mark = "✓"
		if !p.OK {
			mark = "✗"
		}
	}
	want := "must reach"
	if !p.Reach {
		want = "must not reach"
	}
	s := fmt.Sprintf("%s %s → %s %s", mark, p.From, p.To, want)
	if p.Checked && !p.OK && p.Reason != "" {
		s += ": " + p.Reason
	}
	return s
}
