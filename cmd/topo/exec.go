package main

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
)

func execCmd() *cobra.Command {
	var labName string
	c := &cobra.Command{
		Use:   "exec [--lab LAB] NODE [-- CMD ARGS...]",
		Short: "Run a command inside a node (a shell when no command is given)",
		Long: `Run CMD inside NODE's network namespace, with the node's hostname and the
lab's hosts file (every node name resolves to its first address).
Standard streams and the exit status are passed through.`,
		Example: "  topo exec h1 -- ping -c1 h2\n  topo exec h1",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("topo exec"); err != nil {
				return err
			}
			name, err := labFlag(cmd, labName)
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
			code, err := lab.Exec(name, args[0], argv, os.Stdin, os.Stdout, os.Stderr)
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
	return c
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
