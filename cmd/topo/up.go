package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// upFlags are the flags of up that reset shares.
type upFlags struct {
	verbose, check, reset, dryRun, strict bool
	// wait bounds the wait for services to be ready and the wait for
	// routing to converge that follows, both together (0: the
	// default); noWait skips both.
	wait   time.Duration
	noWait bool
}

func upCmd() *cobra.Command {
	var f upFlags
	c := &cobra.Command{
		Use:   "up FILE",
		Short: "Build the lab in FILE, or converge a running lab to it",
		Long: `Validate FILE, then build its lab: one network namespace per node
(<lab>-<node> in "ip netns list"), veth pairs for links, a bridge per switch.
On a lab that is already up, apply only what differs from the file.
With --reset, also undo what was done inside the nodes since they were made
(processes, settings, neighbour entries) and run the exec commands again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.dryRun && !f.reset {
				return fmt.Errorf("--dry-run goes with --reset; `topo plan %s` shows what up would change", args[0])
			}
			desired, err := loadFileStrict(args[0], cmd.ErrOrStderr(), f.strict)
			if err != nil {
				return err
			}
			if err := needRoot("topo up"); err != nil {
				return err
			}
			warnLargeLAN(desired, cmd.ErrOrStderr())
			return applyLab(cmd, desired, "topo up "+args[0], f)
		},
	}
	c.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "print every step and the output of exec commands")
	c.Flags().BoolVar(&f.strict, "strict", false, "refuse a file with warnings, as topo validate --strict does")
	c.Flags().BoolVar(&f.check, "check", false, "then check the file's expectations (or all pairs) like topo check")
	c.Flags().BoolVar(&f.reset, "reset", false, "also bring every node back to what a fresh up makes (like topo reset)")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "with --reset: list what it would undo, change nothing")
	c.Flags().DurationVar(&f.wait, "wait", defaultRoutingWait, "how long to wait in all for services to be ready (ready:), then for OSPF and BGP to converge and leases to come")
	c.Flags().BoolVar(&f.noWait, "no-wait", false, "do not wait for services to be ready, OSPF and BGP to converge or leases to come")
	return c
}

// applyLab runs Up (or, with --dry-run, prints its plan) and reports
// the outcome; again is the command that finishes a partial run.
func applyLab(cmd *cobra.Command, desired *topology.Lab, again string, f upFlags) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := cmd.OutOrStdout()
	if f.dryRun {
		plan, err := lab.PlanFor(ctx, desired, f.reset)
		if err != nil {
			return err
		}
		plan.Write(out)
		return nil
	}
	if st, err := lab.LoadState(desired.Name); err == nil && st.Lab != nil && st.Lab.Site != "" {
		if err := siteMatches(st.Lab, desired.Site); err != nil {
			return err
		}
	}
	opts := lab.Options{Wait: cmd.ErrOrStderr(), Notes: cmd.ErrOrStderr(), Reset: f.reset}
	if f.verbose {
		opts.Verbose = out
	}
	prog := newProgress(cmd.ErrOrStderr(), "up "+desired.Name)
	opts.Progress = prog.update
	var done []topology.Step
	tried := 0
	opts.Step = func(s topology.Step, err error) {
		tried++
		if err == nil {
			done = append(done, s)
		}
	}
	start := time.Now()
	plan, err := lab.Up(ctx, desired, opts)
	prog.finish()
	var svcErr *lab.ServiceError
	if errors.As(err, &svcErr) && err == error(svcErr) {
		err = nil // the lab is built; the services' trouble is reported below
	}
	if err != nil {
		if errors.Is(err, lab.ErrStoppedWaiting) {
			return err
		}
		if !f.verbose { // -v printed each step as it was done
			printDone(out, done, plan)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: lab %s is partly built; run `%s` to finish it or `topo down %s` to remove it", desired.Name, again, desired.Name)
		}
		if tried == 0 || errors.Is(err, lab.ErrNotOwned) || errors.Is(err, link.ErrNoNetem) {
			return err // nothing was built
		}
		return fmt.Errorf("%w\nlab %s is partly built: fix the cause and run `%s` again, or `topo down %s`", err, desired.Name, again, desired.Name)
	}
	if plan.Empty() {
		fmt.Fprintf(out, "lab %s: up to date, nothing to change\n", desired.Name)
	} else {
		if !f.verbose {
			printSteps(out, plan)
		}
		fmt.Fprintf(out, "lab %s is up: %d nodes, %d links (%s, %.2fs)\n", desired.Name, len(desired.Nodes), len(desired.Links), plan.Summary(), time.Since(start).Seconds())
	}
	plan.WriteNotes(out)
	if svcErr != nil {
		return svcErr
	}
	if !f.noWait {
		budget := f.wait
		if budget <= 0 {
			budget = defaultRoutingWait
		}
		deadline := time.Now().Add(budget)
		// Services first: a lease or a route may need a server ready.
		if err := waitServices(ctx, out, desired, budget, "topo up"); err != nil {
			return err
		}
		// Routing has what the services left of the budget (a moment at
		// least, for one look).
		left := max(time.Until(deadline), time.Millisecond)
		if err := waitRouting(ctx, out, desired, left, "topo up"); err != nil {
			return err
		}
	}
	if f.check {
		return runCheck(ctx, out, desired, checkOpts{timeout: time.Second})
	}
	return nil
}

// printDone prints the steps of a failed run that were done, under a
// line that says how many of the plan's, so the user sees where it
// stopped; nothing when none was.
func printDone(out io.Writer, done []topology.Step, plan *topology.Plan) {
	if len(done) == 0 {
		return
	}
	total := len(done)
	if plan != nil {
		total = len(plan.Steps)
	}
	if len(done) > maxListedSteps {
		fmt.Fprintf(out, "%d of %d steps done before the error (use -v to list them)\n", len(done), total)
		return
	}
	fmt.Fprintf(out, "%d of %d steps done before the error:\n", len(done), total)
	for _, s := range done {
		fmt.Fprintln(out, s.String())
	}
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
