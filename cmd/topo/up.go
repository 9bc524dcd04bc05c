package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/link"
	"github.com/topo-lab/topo/pkg/topology"
)

// maxListedSteps is how many plan steps `up` prints without -v.
const maxListedSteps = 40

func upCmd() *cobra.Command {
	var verbose, check bool
	c := &cobra.Command{
		Use:   "up FILE",
		Short: "Build the lab in FILE, or converge a running lab to it",
		Long: `Validate FILE, then build its lab: one network namespace per node
(<lab>-<node> in "ip netns list"), veth pairs for links, a bridge per switch.
On a lab that is already up, apply only what differs from the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			desired, err := loadFile(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := needRoot("topo up"); err != nil {
				return err
			}
			warnLargeLAN(desired, cmd.ErrOrStderr())
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := lab.Options{Wait: cmd.ErrOrStderr(), Notes: cmd.ErrOrStderr()}
			if verbose {
				opts.Verbose = cmd.OutOrStdout()
			}
			prog := newProgress(cmd.ErrOrStderr(), "up "+desired.Name)
			opts.Progress = prog.update
			start := time.Now()
			plan, err := lab.Up(ctx, desired, opts)
			prog.finish()
			if err != nil {
				if errors.Is(err, lab.ErrStoppedWaiting) {
					return err
				}
				if ctx.Err() != nil {
					return fmt.Errorf("interrupted: lab %s is partly built; run `topo up %s` to finish it or `topo down %s` to remove it", desired.Name, args[0], desired.Name)
				}
				if errors.Is(err, lab.ErrNotOwned) || errors.Is(err, link.ErrNoNetem) {
					return err
				}
				return fmt.Errorf("%w\nlab %s is partly built: fix the cause and run `topo up %s` again, or `topo down %s`", err, desired.Name, args[0], desired.Name)
			}
			out := cmd.OutOrStdout()
			if plan.Empty() {
				fmt.Fprintf(out, "lab %s: up to date, nothing to change\n", desired.Name)
			} else {
				if !verbose {
					printSteps(out, plan)
				}
				fmt.Fprintf(out, "lab %s is up: %d nodes, %d links (%s, %.2fs)\n", desired.Name, len(desired.Nodes), len(desired.Links), plan.Summary(), time.Since(start).Seconds())
			}
			plan.WriteNotes(out)
			if check {
				return runCheck(ctx, out, desired, checkOpts{timeout: time.Second})
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every step and the output of exec commands")
	c.Flags().BoolVar(&check, "check", false, "then check the file's expectations (or all pairs) like topo check")
	return c
}

// printSteps prints a plan's steps, or a count when there are many.
func printSteps(out interface{ Write([]byte) (int, error) }, plan *topology.Plan) {
	if len(plan.Steps) > maxListedSteps {
		fmt.Fprintf(out, "%d steps (use -v to list them)\n", len(plan.Steps))
		return
	}
	for _, s := range plan.Steps {
		fmt.Fprintln(out, s.String())
	}
}
