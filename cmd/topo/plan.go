package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
)

func planCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "plan FILE",
		Short: "Show what `topo up FILE` would change, changing nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			desired, err := loadFile(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := needRoot("topo plan"); err != nil {
				return err
			}
			plan, err := lab.PlanFor(context.Background(), desired, false)
			if err != nil {
				return err
			}
			plan.Write(cmd.OutOrStdout())
			return nil
		},
	}
}
