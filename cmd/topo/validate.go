package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/link"
)

func validateCmd() *cobra.Command {
	var strict bool
	c := &cobra.Command{
		Use:   "validate FILE [--strict]",
		Short: "Check a topology file without root and without changing anything",
		Long: `Check a topology file without root and without changing anything. Errors
stop it; warnings (the classic addressing mistakes: a point-to-point link
whose ends are on different subnets, one subnet written with different
lengths on one link, one subnet on two links that are not joined) are
printed, and with --strict they are errors too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadWhole(args[0], cmd.ErrOrStderr(), strict)
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
			where := ""
			if len(l.Sites) > 0 {
				if s := site(); s != "" {
					if _, err := l.ForSite(s); err != nil {
						return err
					}
				}
				where = fmt.Sprintf(" across %d sites (%s)", len(l.Sites), strings.Join(l.SiteNames(), ", "))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s is valid: %d hosts, %d switches, %d links%s\n", args[0], l.Name, hosts, switches, len(l.Links), where)
			return nil
		},
	}
	c.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors")
	return c
}
