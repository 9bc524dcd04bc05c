package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// labOfArg finds the lab of a command whose argument names a node,
// written [LAB/]NODE[:IFACE]: LAB/ names the lab (and must agree with
// --lab), else --lab, else the only lab up; with several labs up and
// none named, the error says which of them have the node and how to
// write it (topo VERB LAB/ARG). It returns the lab and the argument
// without its LAB/. An argument that is not a lab name, a slash and a
// node name (../x) is taken whole, as a node name no lab has.
func labOfArg(cmd *cobra.Command, verb, labName, arg string) (string, string, error) {
	if l, rest, ok := strings.Cut(arg, "/"); ok && topology.ValidLabName(l) {
		if n, _, _ := strings.Cut(rest, ":"); topology.ValidNodeName(n) {
			if labName != "" && labName != l {
				return "", "", fmt.Errorf("%s names lab %s, but --lab says %s: give one", arg, l, labName)
			}
			name, err := pickLab(l)
			return name, rest, err
		}
	}
	if labName != "" || cmd.Flags().Changed("lab") {
		name, err := labFlag(cmd, labName)
		return name, arg, err
	}
	labs, err := lab.Labs()
	if err != nil || len(labs) < 2 {
		name, err := pickLab("")
		return name, arg, err
	}
	return "", "", labsWithNode(labs, verb, arg)
}

// labsWithNode is the error for a node named without its lab while
// several labs are up: which labs have it, and how to name one.
func labsWithNode(labs []string, verb, arg string) error {
	nodeName, _, _ := strings.Cut(arg, ":")
	var have []string
	for _, name := range labs {
		if l, err := lab.Applied(name); err == nil && l.Node(nodeName) != nil {
			have = append(have, name)
		}
	}
	switch len(have) {
	case 0:
		return fmt.Errorf("several labs are up (%s) and none has a node %s: `topo status LAB` lists a lab's nodes", strings.Join(labs, ", "), nodeName)
	case 1:
		return fmt.Errorf("several labs are up (%s); %s is in %s: write topo %s %s/%s", strings.Join(labs, ", "), nodeName, have[0], verb, have[0], arg)
	}
	return fmt.Errorf("several labs are up with a node %s: %s; name one: topo %s %s/%s", nodeName, strings.Join(have, ", "), verb, have[0], arg)
}
