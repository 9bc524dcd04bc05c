package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/graph"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// graphFormats maps --format to its renderer.
var graphFormats = map[string]func(*graph.Graph) []byte{
	"dot": graph.DOT, "mermaid": graph.Mermaid, "svg": graph.SVG, "json": graph.JSON,
}

func graphCmd() *cobra.Command {
	var (
		format, output string
		expect, expand bool
	)
	c := &cobra.Command{
		Use:   "graph [LAB | FILE] [--format dot|mermaid|svg|json] [-o FILE]",
		Short: "Draw a lab: DOT, Mermaid, SVG or JSON, from a file or with a running lab's live state",
		Long: `Draw a lab: hosts, routers and switches, each link labelled with its
interfaces, addresses and impairment, down links dashed, spanning-tree
blocking ports grey, LANs with their subnets. From a FILE nothing is built
and no root is needed; from a running LAB (or the only one up) the picture
shows the kernel's state (as topo status reads it) and the last topo
check's failed pairs in red. --expect overlays the file's expect: entries.
A lab split across sites is drawn with each site in a frame (its name and
underlay address) and the links between sites as tunnels with their VNI;
--site NAME draws that site's part.
Past 300 hosts, the hosts on one switch are drawn as one node unless
--expand. The SVG is laid out by topo itself (the same layout as topo ui);
the same input gives the same bytes. The format defaults to the -o file's
extension (.svg .dot .gv .mmd .json), else dot.`,
		Example: "  topo graph examples/router.yaml | dot -Tpng > router.png\n  topo graph examples/lan.yaml -o lan.svg\n  topo graph lab1 --format mermaid --expect",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == "" {
				format = formatOf(output)
			}
			render, ok := graphFormats[format]
			if !ok {
				return fmt.Errorf("--format %q is not one topo draws: use dot, mermaid, svg or json", format)
			}
			opts := graph.Options{Expect: expect, Expand: expand}
			g, err := graphTarget(cmd, args, opts)
			if err != nil {
				return err
			}
			data := render(g)
			if output == "" || output == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(output, data, 0o644); err != nil {
				return fmt.Errorf("write the picture: %w", err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "", "dot, mermaid, svg or json (default: from -o's extension, else dot)")
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	c.Flags().BoolVar(&expect, "expect", false, "overlay the file's expect: entries")
	c.Flags().BoolVar(&expand, "expand", false, "draw every host, even past 300 (no group nodes)")
	return c
}

// formatOf guesses the format from an output file's extension.
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		return "svg"
	case ".json":
		return "json"
	case ".mmd", ".mermaid", ".md":
		return "mermaid"
	}
	return "dot"
}

// isFileArg reports whether a command's argument names a topology file
// rather than a lab: "-", a .yaml/.yml name, or anything that is not a
// lab name.
func isFileArg(arg string) bool {
	return arg == "-" || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") ||
		arg != "" && !topology.ValidLabName(arg)
}

// graphTarget draws a file (no root), or a running lab with its live
// state.
func graphTarget(cmd *cobra.Command, args []string, o graph.Options) (*graph.Graph, error) {
	if len(args) == 1 && isFileArg(args[0]) {
		// A file with sites: is drawn whole, each site a frame, unless
		// --site asks for one site's part (its tunnels' far ends drawn
		// as remote nodes).
		l, err := loadWhole(args[0], cmd.ErrOrStderr(), false)
		if err == nil && site() != "" {
			l, err = sitePart(l, args[0])
		}
		if err != nil {
			return nil, err
		}
		return graph.Build(l, o), nil
	}
	if err := needRoot("topo graph LAB (a running lab; a FILE needs no root)"); err != nil {
		return nil, err
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	name, err := pickLab(name)
	if err != nil {
		return nil, err
	}
	g, _, err := lab.Picture(context.Background(), name, o)
	return g, err
}
