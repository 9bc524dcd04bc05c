package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

func downCmd() *cobra.Command {
	var file string
	var all, wait bool
	c := &cobra.Command{
		Use:   "down [LAB | -f FILE | --all]",
		Short: "Remove a lab: kill its processes, delete its namespaces and state",
		Long: `Remove a lab completely. With no argument and one lab up, remove that one.
Running it again on a removed lab does nothing and succeeds.

The kernel finishes freeing the namespaces (their interfaces, routes and
sockets) in the background after down returns; with --wait, down returns only
once it has, so that a benchmark or a new large lab does not compete with it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo down"); err != nil {
				return err
			}
			var names []string
			switch {
			case all:
				labs, err := lab.Labs()
				if err != nil {
					return err
				}
				names = labs
			case file != "":
				l, err := loadWhole(file, cmd.ErrOrStderr(), false)
				if err != nil {
					return err
				}
				names = []string{l.Name}
			case len(args) == 1:
				if !topology.ValidLabName(args[0]) {
					return fmt.Errorf("%w; to take the lab name from a file, write topo down -f %s", labNameError(args[0]), args[0])
				}
				names = args
			default:
				labs, err := lab.Labs()
				if err != nil {
					return err
				}
				switch len(labs) {
				case 0:
					fmt.Fprintln(cmd.OutOrStdout(), "no lab is up")
					return nil
				case 1:
					names = labs
				default:
					return fmt.Errorf("several labs are up (%v): name one, or use --all", labs)
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var errs []error
			for _, name := range names {
				if err := checkSite(name); err != nil {
					errs = append(errs, err)
					continue
				}
				prog := newProgress(cmd.ErrOrStderr(), "down "+name)
				existed, err := lab.Down(ctx, name, lab.Options{Wait: cmd.ErrOrStderr(), Notes: cmd.ErrOrStderr(), Progress: prog.update, WaitCleanup: wait})
				prog.finish()
				switch {
				case errors.Is(err, lab.ErrStoppedWaiting):
					return errors.Join(append(errs, err)...)
				case err != nil:
					errs = append(errs, err)
				case existed:
					fmt.Fprintf(cmd.OutOrStdout(), "lab %s is down\n", name)
				default:
					labs, _ := lab.Labs()
					fmt.Fprintf(cmd.OutOrStdout(), "lab %s is not up%s\n", name, upHint(name, labs))
				}
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "take the lab name from this topology file")
	c.Flags().BoolVar(&all, "all", false, "remove every lab topo has up")
	c.Flags().BoolVar(&wait, "wait", false, "return only once the kernel has freed the namespaces")
	return c
}
