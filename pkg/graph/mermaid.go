package graph

import (
	"bytes"
	"fmt"
	"strings"
)

// Mermaid renders g as a Mermaid flowchart (GitHub and GitLab draw it
// inside a ```mermaid block): hosts as rectangles, routers as rounded
// ones ((r1)), switches as hexagons, groups as stadiums, down links
// dotted, failed pairs as red dotted links, a lab's sites as subgraphs
// (site0, site1, … titled with the site's name and underlay). Node ids are n0, n1, … in
// the graph's order, so any name is safe.
func Mermaid(g *Graph) []byte {
	var b bytes.Buffer
	b.WriteString("flowchart TB\n")
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
	}
	framed := map[string]bool{}
	for i, f := range g.Sites {
		framed[f.Name] = true
		fmt.Fprintf(&b, "  subgraph site%d[\"%s\"]\n", i, mmText(f.Title()))
		for _, n := range g.Nodes {
			if n.Site == f.Name {
				mmNode(&b, "    ", ids[n.ID], n)
			}
		}
		b.WriteString("  end\n")
	}
	for _, n := range g.Nodes {
		if !framed[n.Site] {
			mmNode(&b, "  ", ids[n.ID], n)
		}
	}
	edge := 0
	var down, fail, blocking, tunnel []string
	for _, l := range g.Links {
		arrow := "---"
		if l.Down {
			arrow = "-.-"
			down = append(down, fmt.Sprint(edge))
		}
		if l.Blocking {
			blocking = append(blocking, fmt.Sprint(edge))
		} else if l.VNI != 0 {
			tunnel = append(tunnel, fmt.Sprint(edge))
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", ids[l.A.Node], arrow, mmText(strings.Join(l.Lines, "<br/>")), ids[l.B.Node])
		edge++
	}
	for _, p := range g.Pairs {
		a, z := ids[p.From], ids[p.To]
		if a == "" || z == "" {
			continue
		}
		fmt.Fprintf(&b, "  %s -.->|\"%s\"| %s\n", a, mmText(PairText(p)), z)
		if p.Checked && !p.OK {
			fail = append(fail, fmt.Sprint(edge))
		}
		edge++
	}
	if len(tunnel) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:%s\n", strings.Join(tunnel, ","), colTunnel)
	}
	if len(blocking) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:%s\n", strings.Join(blocking, ","), colGrey)
	}
	if len(fail) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:%s,color:%s\n", strings.Join(fail, ","), colFail, colFail)
	}
	for _, n := range g.Nodes {
		if n.Failed {
			fmt.Fprintf(&b, "  style %s stroke:%s,stroke-width:3px\n", ids[n.ID], colFail)
		}
	}
	_ = down
	return b.Bytes()
}

// mmNode declares node n as id, its shape after its kind.
func mmNode(b *bytes.Buffer, indent, id string, n *Node) {
	text := mmText(strings.Join(n.Lines, "<br/>"))
	switch n.Kind {
	case KindRouter:
		fmt.Fprintf(b, "%s%s((\"%s\"))\n", indent, id, text)
	case KindSwitch:
		fmt.Fprintf(b, "%s%s{{\"%s\"}}\n", indent, id, text)
	case KindGroup:
		fmt.Fprintf(b, "%s%s([\"%s\"])\n", indent, id, text)
	default:
		fmt.Fprintf(b, "%s%s[\"%s\"]\n", indent, id, text)
	}
}

// mmText makes text safe inside a quoted Mermaid label: quotes become
// #quot; (Mermaid's entity form).
func mmText(s string) string {
	return strings.NewReplacer(`"`, "#quot;").Replace(s)
}
