package graph

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// DOT renders g for Graphviz (`topo graph | dot -Tpng`): hosts as
// boxes, routers as ellipses, switches as boxes with a double border,
// link labels with both ends' interfaces and addresses, down links
// dashed, blocking ones grey, failed pairs as red dotted edges that do
// not move the layout. Graphviz lays it out itself; the positions of
// Graph are not used.
func DOT(g *Graph) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "graph %s {\n", strconv.Quote(g.Lab))
	b.WriteString("  graph [fontname=\"monospace\" overlap=false];\n")
	b.WriteString("  node [fontname=\"monospace\" fontsize=11 style=filled];\n")
	b.WriteString("  edge [fontname=\"monospace\" fontsize=9];\n")
	for _, n := range g.Nodes {
		shape, fill := "box", colHost
		switch n.Kind {
		case KindRouter:
			shape, fill = "ellipse", colRouter
		case KindSwitch:
			shape, fill = "box\" peripheries=\"2", colSwitch
		case KindGroup:
			shape, fill = "box3d", colGroup
		}
		attrs := fmt.Sprintf("shape=\"%s\" fillcolor=\"%s\" label=%s", shape, fill, dotLabel(n.Lines))
		if n.Failed {
			attrs += " color=\"" + colFail + "\" penwidth=2"
		}
		if n.Missing {
			attrs += " style=\"filled,dashed\""
		}
		fmt.Fprintf(&b, "  %s [%s];\n", strconv.Quote(n.ID), attrs)
	}
	for _, l := range g.Links {
		attrs := "label=" + dotLabel(l.Lines)
		if l.Down {
			attrs += " style=dashed"
		}
		if l.Blocking {
			attrs += " color=\"" + colGrey + "\""
		}
		if l.Count > 0 {
			attrs += " penwidth=3"
		}
		fmt.Fprintf(&b, "  %s -- %s [%s];\n", strconv.Quote(l.A.Node), strconv.Quote(l.B.Node), attrs)
	}
	for _, p := range g.Pairs {
		if findNode(g, p.From) == nil || findNode(g, p.To) == nil {
			continue
		}
		colour := "#888888"
		if p.Checked && !p.OK {
			colour = colFail
		} else if p.Checked {
			colour = "#188038"
		}
		fmt.Fprintf(&b, "  %s -- %s [style=dotted constraint=false color=\"%s\" fontcolor=\"%s\" label=%s];\n",
			strconv.Quote(p.From), strconv.Quote(p.To), colour, colour, dotLabel([]string{PairText(p)}))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// dotLabel quotes lines as one DOT label, one line each (\n).
func dotLabel(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(l)
	}
	return `"` + strings.Join(q, `\n`) + `"`
}
