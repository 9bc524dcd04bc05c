package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// exitError carries a command's exit status without an extra message
// (the command has already said what happened).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the topo command line and returns the exit status.
func run(args []string) int {
	if dir := os.Getenv("TOPO_STATE_DIR"); dir != "" {
		lab.Root = dir
	}
	root := newRoot(os.Stdout, os.Stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "topo: "+err.Error())
	return 1
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "topo",
		Short:         "Declarative network labs from a YAML file: namespaces, veth links, bridges",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&siteFlag, "site", "", "for a lab split across machines (sites:): act on this site's part (default $TOPO_SITE)")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		upCmd(), downCmd(), execCmd(), logsCmd(), statusCmd(), planCmd(), validateCmd(),
		genCmd(), linkCmd(), pingCmd(), arpCmd(), checkCmd(),
		impairCmd(), resetCmd(), captureCmd(), graphCmd(), uiCmd(),
	)
	return root
}

// needRoot fails with one clear sentence when topo lacks the
// privileges to change namespaces.
func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN): run it with sudo", what)
	}
	return nil
}

// loadFile loads a topology file, printing warnings to w.
// A path of "-" reads standard input (the file must then name its lab).
func loadFile(path string, w io.Writer) (*topology.Lab, error) {
	return loadFileStrict(path, w, false)
}

// loadFileStrict is loadFile; with strict, warnings (the classic
// addressing mistakes and the like) fail it too, as errors.
func loadFileStrict(path string, w io.Writer, strict bool) (*topology.Lab, error) {
	l, err := loadWhole(path, w, strict)
	if err != nil {
		return nil, err
	}
	return sitePart(l, path)
}

// loadWhole is loadFileStrict without cutting out a site's part.
func loadWhole(path string, w io.Writer, strict bool) (*topology.Lab, error) {
	var (
		l        *topology.Lab
		warnings topology.Problems
		err      error
	)
	if path == "-" {
		data, rerr := io.ReadAll(io.LimitReader(os.Stdin, topology.MaxFileSize+1))
		if rerr != nil {
			return nil, fmt.Errorf("read standard input: %w", rerr)
		}
		l, warnings, err = topology.Parse("<stdin>", data)
	} else {
		l, warnings, err = topology.Load(path)
	}
	if strict && err == nil && len(warnings) > 0 {
		for i := range warnings {
			warnings[i].Warning = false
		}
		err = warnings
	} else {
		for _, p := range warnings {
			fmt.Fprintln(w, p.String())
		}
	}
	var probs topology.Problems
	if errors.As(err, &probs) {
		n := len(probs.Errors())
		noun := "problems"
		if strict {
			probs = probs.Errors()
		}
		if n == 1 {
			noun = "problem"
		}
		return nil, fmt.Errorf("%s is not valid (%d %s):\n%s", path, n, noun, probs.Errors().Error())
	}
	return l, err
}

// pickLab resolves the lab a command acts on: the one named, or the
// only lab that is up.
func pickLab(name string) (string, error) {
	if name != "" {
		if !topology.ValidLabName(name) {
			return "", labNameError(name)
		}
		if err := labNotUp(name); err != nil {
			return "", err
		}
		return name, checkSite(name)
	}
	labs, err := lab.Labs()
	if err != nil {
		return "", err
	}
	switch len(labs) {
	case 0:
		return "", errors.New("no lab is up: start one with `topo up FILE`")
	case 1:
		return labs[0], checkSite(labs[0])
	}
	return "", fmt.Errorf("several labs are up (%s): name one with --lab", strings.Join(labs, ", "))
}

// labFlag resolves the lab a command with a --lab flag acts on (see
// pickLab). A --lab given empty is an error: it would otherwise pick
// the only lab that is up, which the user did not name.
func labFlag(cmd *cobra.Command, name string) (string, error) {
	if name == "" && cmd.Flags().Changed("lab") {
		return "", errors.New(`--lab "" names no lab: give a lab's name, or leave --lab out to use the only lab that is up (` + "`topo status`" + ` lists them)`)
	}
	return pickLab(name)
}

// labNameError says that an argument is not a lab name, what one is,
// and where to find the labs.
func labNameError(arg string) error {
	hint := "`topo status` lists the labs that are up"
	if lower := strings.ToLower(arg); topology.ValidLabName(lower) {
		hint = fmt.Sprintf("did you mean %q?", lower)
	}
	return fmt.Errorf("%q is not a lab name: lab names are lower-case letters, digits and '-', at most 32 (%s)", arg, hint)
}

// labNotUp returns an error naming the lab that is up whose name is
// closest to name, when name is not up; nil when it is (or the labs
// cannot be listed: the command then says what it finds).
func labNotUp(name string) error {
	labs, err := lab.Labs()
	if err != nil || slices.Contains(labs, name) {
		return nil
	}
	return fmt.Errorf("lab %s is not up%s", name, upHint(name, labs))
}

// upHint suggests, for a lab name that is not up, the closest one that
// is: "; did you mean \"lab1\"?", or where to look.
func upHint(name string, labs []string) string {
	if h := topology.DidYouMean(name, labs); h != "" {
		return ": " + h
	}
	if len(labs) == 0 {
		return " (no lab is up: start one with `topo up FILE`)"
	}
	return " (`topo status` lists the labs that are up)"
}
