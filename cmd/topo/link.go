package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

func linkCmd() *cobra.Command {
	var labName string
	c := &cobra.Command{
		Use:     "link [--lab LAB] NODE:IFACE up|down",
		Short:   "Take a link down or up in a running lab (either end names the link)",
		Example: "  topo link h1:eth0 down\n  topo link h1:eth0 up",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var up bool
			switch args[1] {
			case "up":
				up = true
			case "down":
			default:
				return fmt.Errorf("state must be up or down, not %q", args[1])
			}
			if err := needRoot("topo link"); err != nil {
				return err
			}
			name, err := labFlag(cmd, labName)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			l, plan, err := lab.SetLinkState(ctx, name, args[0], up, lab.Options{Wait: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, s := range plan.Steps {
				if s.Op == topology.OpAddRoute {
					fmt.Fprintln(out, s.String())
				}
			}
			plan.WriteNotes(out)
			fmt.Fprintf(out, "link %s <-> %s is %s\n", l.Ends[0], l.Ends[1], args[1])
			return nil
		},
	}
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	return c
}
