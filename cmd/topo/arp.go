package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/probe"
)

func arpCmd() *cobra.Command {
	var (
		labName string
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "arp [--lab LAB] [LAB/]NODE[:IFACE] ADDRESS",
		Short: "Ask who has ADDRESS (ARP, or NDP for IPv6) from a node and print the MAC that answered",
		Long: `Send an ARP who-has (IPv4) or an NDP neighbour solicitation (IPv6) for
ADDRESS (an address or a node name) from NODE's interface IFACE (default:
the interface its routing table picks), and print the MAC that answered.
Exit status 1 when nobody answered.`,
		Example: "  topo arp h1:eth0 10.10.10.100\n  topo arp h1 h2",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo arp"); err != nil {
				return err
			}
			name, target, err := labOfArg(cmd, "arp", labName, args[0])
			if err != nil {
				return err
			}
			args[0] = target
			nodeName, iface, _ := strings.Cut(args[0], ":")
			l, ns, err := labNode(name, nodeName)
			if err != nil {
				return err
			}
			defer ns.Close()
			addr, err := resolveTarget(l, args[1])
			if err != nil {
				return err
			}
			ask, proto := probe.ARP, "ARP"
			if addr.Is6() {
				ask, proto = probe.NDP, "NDP"
			}
			n, err := ask(context.Background(), ns, iface, addr, timeout)
			out := cmd.OutOrStdout()
			if err != nil {
				fmt.Fprintf(out, "%s from %s: no answer for %s (%v)\n", proto, args[0], addr, err)
				if note := neighbourTableNote(); note != "" {
					fmt.Fprintln(cmd.ErrOrStderr(), note)
				}
				return exitError{1}
			}
			fmt.Fprintf(out, "%s from %s:%s: %s is at %s (%.3f ms)\n", proto, nodeName, n.Iface, addr, n.MAC, float64(n.RTT.Microseconds())/1000)
			return nil
		},
	}
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	c.Flags().VarP(secondsVar(&timeout, time.Second), "timeout", "W", "time to wait for the answer (seconds, or a duration such as 200ms)")
	return c
}
