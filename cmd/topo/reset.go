package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
)

func resetCmd() *cobra.Command {
	var f upFlags
	c := &cobra.Command{
		Use:   "reset [LAB]",
		Short: "Bring every node of a lab back to what a fresh up makes, in place",
		Long: `Bring every node of a running lab back to what a fresh "topo up" of the
file last applied would make, without rebuilding it: processes running in
the nodes are killed, net.* settings changed by hand go back to a fresh
node's (or the file's), neighbour tables are emptied, addresses, routes and
links are made exactly as the file says, and exec commands run again.
With --dry-run, list what it would undo and change nothing.`,
		Example: "  topo reset --dry-run\n  topo reset lab1",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo reset"); err != nil {
				return err
			}
			var name string
			if len(args) == 1 {
				name = args[0]
			}
			name, err := pickLab(name)
			if err != nil {
				return err
			}
			applied, err := lab.Applied(name)
			if errors.Is(err, lab.ErrNoState) {
				return fmt.Errorf("lab %s is not up (`topo status` lists the labs that are up)", name)
			}
			if err != nil {
				return err
			}
			f.reset = true
			return applyLab(cmd, applied, "topo reset "+name, f)
		},
	}
	c.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "print every step and the output of exec commands")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "list what it would undo, change nothing")
	return c
}
