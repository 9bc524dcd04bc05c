package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

func execCmd() *cobra.Command {
	var (
		labName string
		all     bool
		nodes   []string
	)
	c := &cobra.Command{
		Use:   "exec [--lab LAB] [LAB/]NODE [-- CMD ARGS...] | exec [--lab LAB] --all [--nodes N1,N2] -- CMD ARGS...",
		Short: "Run a command inside a node (a shell when no command is given), or in every host at once",
		Long: `Run CMD inside NODE's network namespace, with the node's hostname and the
lab's hosts file (every node name resolves to its first address).
Standard streams and the exit status are passed through. LAB/NODE names
the lab when several are up.

With --all, run CMD in every host of the lab at once (with --nodes, in
those named): each line of output is led by its node's name and never
mixed with another's, standard input is empty, and the exit status is
the worst of them.`,
		Example: "  topo exec h1 -- ping -c1 h2\n  topo exec h1\n  topo exec lab2/h1 -- ip route\n  topo exec --lab lab2 --all -- ip -br addr\n  topo exec --all --nodes h1,h2 -- ping -c1 10.0.0.1",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo exec"); err != nil {
				return err
			}
			if all || len(nodes) > 0 {
				return execAll(cmd, labName, nodes, args)
			}
			if len(args) == 0 {
				return errors.New("name a node (topo exec h1 -- CMD), or run in every host with --all")
			}
			name, nodeName, err := labOfArg(cmd, "exec", labName, args[0])
			if err != nil {
				return err
			}
			argv := args[1:]
			if len(argv) > 0 && argv[0] == "--" {
				argv = argv[1:]
			}
			if len(argv) == 0 {
				argv = []string{shell()}
			}
			code, err := lab.Exec(name, nodeName, argv, os.Stdin, os.Stdout, os.Stderr)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	c.Flags().StringVar(&labName, "lab", "", "the lab (default: the only lab that is up)")
	c.Flags().BoolVar(&all, "all", false, "run CMD in every host of the lab at once")
	c.Flags().StringSliceVar(&nodes, "nodes", nil, "with --all: only in these `NODES` (h1,h2)")
	return c
}

// execAll runs argv in several hosts of a lab at once, each line of
// output led by its node, and returns the worst exit status.
func execAll(cmd *cobra.Command, labName string, only, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("--all needs a command: topo exec --all -- CMD ARGS")
	}
	name, err := labFlag(cmd, labName)
	if err != nil {
		return err
	}
	l, err := lab.Applied(name)
	if err != nil {
		return err
	}
	targets, err := execNodes(l, only)
	if err != nil {
		return err
	}
	width := 0
	for _, n := range targets {
		width = max(width, len(n))
	}
	var mu sync.Mutex
	codes := make([]int, len(targets))
	var wg sync.WaitGroup
	for i, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prefix := fmt.Sprintf("%-*s ", width+1, n+":")
			out := newPrefixWriter(&mu, cmd.OutOrStdout(), prefix)
			errw := newPrefixWriter(&mu, cmd.ErrOrStderr(), prefix)
			code, err := lab.Exec(name, n, args, nil, out, errw)
			if err != nil {
				fmt.Fprintf(errw, "topo: %v\n", err)
				code = 1
			}
			out.flush()
			errw.flush()
			codes[i] = code
		}()
	}
	wg.Wait()
	worst := 0
	for _, c := range codes {
		worst = max(worst, c)
	}
	if worst != 0 {
		return exitError{worst}
	}
	return nil
}

// execNodes is the hosts --all runs in: every host, or those of only,
// each of which must be a host of l.
func execNodes(l *topology.Lab, only []string) ([]string, error) {
	hosts := lab.Hosts(l)
	if len(only) == 0 {
		if len(hosts) == 0 {
			return nil, fmt.Errorf("lab %s has no host", l.Name)
		}
		return hosts, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range only {
		nd := l.Node(n)
		switch {
		case nd == nil:
			return nil, l.NoNode(n, strings.Join(hosts, ", "))
		case nd.Kind != topology.KindHost:
			return nil, fmt.Errorf("%s is a %s of lab %s: commands run in hosts (%s)", n, nd.Kind, l.Name, strings.Join(hosts, ", "))
		case !seen[n]:
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// shell is the user's shell, or /bin/sh.
func shell() string {
	if s := os.Getenv("SHELL"); s != "" {
		return s
	}
	for _, s := range []string{"/bin/bash", "/bin/sh"} {
		if _, err := os.Stat(s); err == nil {
			return s
		}
	}
	return "/bin/sh"
}
