package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

func statusCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status [LAB]",
		Short: "Show labs, nodes and interfaces as the kernel holds them, and any drift",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo status"); err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				labs, err := lab.Labs()
				if err != nil {
					return err
				}
				names = labs
			} else if !topology.ValidLabName(names[0]) {
				return labNameError(names[0])
			} else if err := labNotUp(names[0]); err != nil {
				return err
			}
			for _, name := range names {
				if err := checkSite(name); err != nil {
					return err
				}
			}
			var all []*lab.LabStatus
			for _, name := range names {
				s, err := lab.Status(context.Background(), name)
				if err != nil {
					return err
				}
				all = append(all, s)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if all == nil {
					all = []*lab.LabStatus{}
				}
				return enc.Encode(all)
			}
			if len(all) == 0 {
				fmt.Fprintln(out, "no lab is up")
			}
			for _, s := range all {
				printStatus(out, s)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printStatus(out io.Writer, s *lab.LabStatus) {
	fmt.Fprintf(out, "lab %s: %s", s.Name, s.State)
	if s.Site != "" {
		fmt.Fprintf(out, ", site %s's part", s.Site)
	}
	if s.File != "" {
		fmt.Fprintf(out, " (from %s)", s.File)
	}
	fmt.Fprintln(out)
	if s.Error != "" {
		fmt.Fprintf(out, "  error: %s\n", s.Error)
	}
	if s.State == "gone" {
		file := s.File
		if file == "" {
			file = "FILE"
		}
		fmt.Fprintf(out, "  none of its namespaces exists (a reboot?): `topo up %s` rebuilds it, `topo down %s` forgets it\n", file, s.Name)
	}
	if len(s.Nodes) == 0 {
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tIFACE\tSTATE\tPORT\tADDRESSES\tMAC\tMTU\tPEER\tIMPAIR")
	for _, n := range s.Nodes {
		if !n.Present {
			fmt.Fprintf(tw, "  %s\t-\tmissing\t\t\t\t\t\n", n.Name)
			continue
		}
		name := n.Name
		if n.Kind == string(topology.KindSwitch) {
			name += " (switch)"
		}
		if len(n.Ifaces) == 0 {
			fmt.Fprintf(tw, "  %s\t-\t\t\t\t\t\t\n", name)
		}
		for _, i := range n.Ifaces {
			port := i.Port
			if port == "" {
				port = "-"
			}
			addrs := slices.Clone(i.Addresses)
			for _, a := range i.Leased {
				addrs = append(addrs, a+"(leased)")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", name, i.Name, i.State, port, strings.Join(addrs, ","), i.MAC, i.MTU, i.Peer, i.Impair)
			name = ""
		}
		for _, r := range n.Routes {
			fmt.Fprintf(tw, "  \troute\t%s\t\t\t\t\t\n", r)
		}
	}
	tw.Flush()
	printServices(out, s.Services)
	if len(s.Drift) > 0 {
		fmt.Fprintf(out, "  drift (%d differences from the applied file; `topo up` repairs them):\n", len(s.Drift))
		for _, d := range s.Drift {
			fmt.Fprintf(out, "    %s\n", d)
		}
	}
}
