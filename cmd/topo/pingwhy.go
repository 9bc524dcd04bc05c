package main

import (
	"fmt"
	"io"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// explainPing prints why a ping from node from got no reply: the first
// broken hop of the path both ways, or what the probe saw when every
// hop looks right.
func explainPing(out io.Writer, l *topology.Lab, from string, st *probe.PingStats) {
	p := lab.ExplainPair(l, from, st.Route.Src, st.Dst)
	r := probe.Result{From: from, To: st.Dst, Reason: st.Reason, Error: st.Error, ICMP: st.ICMP, Neighbor: st.Neighbor}
	fmt.Fprintf(out, "why: %s\n", lab.WhyText(p, r))
}
