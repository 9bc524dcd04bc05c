package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

func linkCmd() *cobra.Command {
	var labName string
	var wait time.Duration
	var noWait bool
	c := &cobra.Command{
		Use:   "link [--lab LAB] [LAB/]NODE:IFACE up|down",
		Short: "Take a link down or up in a running lab (either end names the link)",
		Long: `Take a link down or up in a running lab (either end names the link).
When the lab runs OSPF or BGP, wait, as up does, until the routers have
converged around the change (every adjacency and session that should be
up is, every route leads where it should) and say how long it took.`,
		Example: "  topo link h1:eth0 down\n  topo link r1:eth1 up --wait 2m",
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
			name, target, err := labOfArg(cmd, "link", labName, args[0])
			if err != nil {
				return err
			}
			args[0] = target
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
			if noWait {
				return nil
			}
			st, err := lab.LoadState(name)
			if err != nil {
				return err
			}
			return waitRouting(ctx, out, st.Lab, wait, "topo link")
		},
	}
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	c.Flags().DurationVar(&wait, "wait", defaultRoutingWait, "how long to wait for OSPF and BGP to converge")
	c.Flags().BoolVar(&noWait, "no-wait", false, "do not wait for OSPF and BGP to converge")
	return c
}
