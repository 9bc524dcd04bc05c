package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/gen"
)

func genCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "gen KIND ARGS...",
		Short: "Print a generated lab (Mininet's shapes and names) as YAML",
		Long: "Print a complete, addressed lab to stdout. Kinds:\n  " + strings.Join(gen.Kinds(), "\n  ") +
			"\nThe same shape can be built by Mininet: mn --switch lxbr --controller none --topo tree,2,16",
		Example: "  topo gen tree 2 4 > tree.yaml && topo up tree.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nums, err := gen.ParseArgs(args[0], args[1:])
			if err != nil {
				return err
			}
			out, err := gen.Generate(args[0], nums, gen.Options{Name: name})
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	c.Flags().StringVar(&name, "name", "", "lab name (default: KIND-ARGS, e.g. tree-2-4)")
	return c
}
