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
	"github.com/topo-lab/topo/pkg/probe"
)

func pingCmd() *cobra.Command {
	var (
		labName  string
		count    int
		timeout  time.Duration
		interval time.Duration
	)
	c := &cobra.Command{
		Use:   "ping [--lab LAB] [LAB/]SRC DST [-c N] [-W TIMEOUT]",
		Short: "Send ICMP echo requests from a node through its own stack, like its ping",
		Long: `Send ICMP (or ICMPv6) echo requests from node SRC to DST (a node name or an
address) through SRC's own stack (its routes, neighbour table and firewall),
and print the replies, the ICMP errors that come back (with who sent them),
and a summary like ping. When no reply comes, say why. Exit status 0 only
if a reply came.`,
		Example: "  topo ping h1 h2 -c 3\n  topo ping --lab lab1 h1 10.0.2.10",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo ping"); err != nil {
				return err
			}
			name, target, err := labOfArg(cmd, "ping", labName, args[0])
			if err != nil {
				return err
			}
			args[0] = target
			l, ns, err := labNode(name, args[0])
			if err != nil {
				return err
			}
			defer ns.Close()
			dst, err := resolveTarget(l, args[1])
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "PING %s (%s) from %s\n", args[1], dst, args[0])
			st, err := probe.Ping(ctx, ns, dst, probe.PingOptions{
				Count: count, Timeout: timeout, Interval: interval, NameOf: lab.NodeOfAddress(l),
				OnReply: func(r probe.PingReply) { fmt.Fprintln(out, probe.FormatPingReply(r)) },
			})
			if st != nil && st.Received == 0 && ctx.Err() == nil {
				explainPing(cmd.OutOrStdout(), l, args[0], st)
			}
			if err != nil {
				if probe.ReasonOf(err) == probe.ReasonARP {
					if note := neighbourTableNote(); note != "" {
						fmt.Fprintln(cmd.ErrOrStderr(), note)
					}
				}
				return fmt.Errorf("%s -> %s: %w", args[0], args[1], err)
			}
			probe.FormatPingStats(out, st)
			if st.Received == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "topo: %s -> %s: no reply (%s)\n", args[0], args[1], st.Reason)
				if st.Reason == probe.ReasonARP {
					if note := neighbourTableNote(); note != "" {
						fmt.Fprintln(cmd.ErrOrStderr(), note)
					}
				}
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	c.Flags().IntVarP(&count, "count", "c", 3, "number of echo requests (0: until interrupted)")
	c.Flags().VarP(secondsVar(&timeout, time.Second), "timeout", "W", "time to wait for each reply (seconds, or a duration such as 200ms)")
	c.Flags().VarP(secondsVar(&interval, 200*time.Millisecond), "interval", "i", "time between requests (seconds, or a duration)")
	return c
}
