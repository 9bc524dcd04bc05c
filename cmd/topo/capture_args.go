package main

import (
	"strings"

	"github.com/topo-lab/topo/pkg/capture"
	"github.com/topo-lab/topo/pkg/topology"
)

// splitCapture splits the arguments of `topo capture` into targets and
// filter words. Targets come first: an argument is one when it names a
// node of l, has the form NODE:IFACE or link:NODE:IFACE, or does not
// begin a filter; the first argument that begins a filter (arp, host,
// not, "("...) starts the filter, and so does "--" (dash is the index
// of the first argument after it, or -1), for a node named like a
// filter word.
func splitCapture(l *topology.Lab, args []string, dash int) (targets, filter []string) {
	for i, a := range args {
		if i == dash {
			return args[:i], args[i:]
		}
		isTarget := l.Node(a) != nil ||
			strings.HasPrefix(a, capture.LinkPrefix) ||
			strings.Contains(a, ":") && l.Node(strings.SplitN(a, ":", 2)[0]) != nil ||
			!capture.StartsFilter(a)
		if !isTarget {
			return args[:i], args[i:]
		}
	}
	return args, nil
}
