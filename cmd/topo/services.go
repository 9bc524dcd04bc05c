package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/topo-lab/topo/pkg/lab"
)

// printServices prints a lab's services under its interfaces: running
// with pid, uptime and restarts; otherwise the exit status or error and
// the last lines of the log.
func printServices(out io.Writer, svcs []*lab.ServiceStatus) {
	if len(svcs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SERVICE\tSTATE\tPID\tUPTIME\tRESTARTS\tEXIT")
	for _, s := range svcs {
		pid, exit, up := "-", "", "-"
		if s.Pid != 0 {
			pid = fmt.Sprint(s.Pid)
		}
		if s.Exit != nil {
			exit = fmt.Sprint(*s.Exit)
		}
		if s.State.State == "running" {
			up = s.Uptime
		}
		fmt.Fprintf(tw, "  %s/%s\t%s\t%s\t%s\t%d\t%s\n", s.Node, s.Name, s.State.State, pid, up, s.Restarts, exit)
	}
	tw.Flush()
	for _, s := range svcs {
		if s.State.State == "running" {
			continue
		}
		if s.Error != "" {
			fmt.Fprintf(out, "  %s/%s: %s\n", s.Node, s.Name, s.Error)
		}
		for _, l := range s.LastLines {
			fmt.Fprintf(out, "    %s| %s\n", s.Name, l)
		}
	}
}
