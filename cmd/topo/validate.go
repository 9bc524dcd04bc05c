package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/link"
)

func validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a topology file without root and without changing anything",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadFile(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			// Root-free: only files say what the kernel lacks.
			if err := link.CheckKernelFiles(l); err != nil {
				return err
			}
			var hosts, switches int
			for _, n := range l.Nodes {
				if n.Kind == "switch" {
					switches++
				} else {
					hosts++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s is valid: %d hosts, %d switches, %d links\n", args[0], l.Name, hosts, switches, len(l.Links))
			return nil
		},
	}
}
