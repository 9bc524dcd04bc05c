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
// not move the layout; a lab's sites as clusters (cluster_NAME,
// labelled with the site's name and underlay), tunnels purple. Graphviz lays it out itself; the positions of
// Graph are not used.
func DOT(g *Graph) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "graph %s {\n", strconv.Quote(g.Lab))
	b.WriteString("  graph [fontname=\"monospace\" overlap=false];\n")
	b.WriteString("  node [fontname=\"monospace\" fontsize=11 style=filled];\n")
	b.WriteString("  edge [fontname=\"monospace\" fontsize=9];\n")
	for _, f := range g.Sites {
		// A cluster is a frame to Graphviz: its nodes are kept together
		// inside it.
		fmt.Fprintf(&b, "  subgraph %s {\n", strconv.Quote("cluster_"+f.Name))
		fmt.Fprintf(&b, "    label=%s; style=\"rounded,dashed\"; color=\"%s\"; fontcolor=\"%s\";\n", strconv.Quote(f.Title()), colTunnel, colTunnel)
		for _, n := range g.Nodes {
			if n.Site == f.Name {
				fmt.Fprintf(&b, "    %s;\n", strconv.Quote(n.ID))
			}
		}
		b.WriteString("  }\n")
	}
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
		if n.Missing || n.Remote {
			attrs += " style=\"filled,dashed\""
		}
		fmt.Fprintf(&b, "  %s [%s];\n", strconv.Quote(n.ID), attrs)
	}
	for _, l := range g.Links {
		attrs := "label=" + dotLabel(l.Lines)
		if l.Down {
			attrs += " style=dashed"
		}
		if l.VNI != 0 {
			attrs += " color=\"" + colTunnel + "\" fontcolor=\"" + colTunnel + "\""
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
