package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// maxMatrixHosts is the largest lab printed as a full matrix; larger
// ones list only the failing pairs.
const maxMatrixHosts = 40

// maxMissing is how many failing pairs are listed under the matrix.
const maxMissing = 50

func checkCmd() *cobra.Command {
	var (
		asJSON, allPairs, score bool
		timeout                 time.Duration
		expectFile              string
		samples                 int
		seed                    uint64
	)
	c := &cobra.Command{
		Use:   "check [LAB | FILE] [--json] [--all | --pairs N [--seed S]] [--expect FILE [--score]]",
		Short: "Check reachability: the file's expectations, or every host to every other",
		Long: `Probe, in parallel, either the lab's expect: entries or (when it has none,
or with --all) every host to every address of every other host, and print a
matrix with the reason for each failure. Each echo request goes through the
source host's own stack (its routes, neighbour table and firewall), so the
verdict is the one the host's ping would give. Reasons: no-route, filtered
(the source's firewall), arp (the next hop did not answer ARP/NDP),
unreachable (an ICMP error came back; who sent it is said), icmp (no echo
reply). Expectations may also prove a path (via:, with TTL-limited
probes), a TCP or UDP port (tcp:, udp:) or a path MTU (mtu:). Exit
status 1 if anything expected failed.

With --pairs N, probe N pairs picked at random among all pairs (a lab of
10,000 hosts has 100 million): the seed is printed, and --seed S picks
the same pairs again.

With --expect FILE, check the running lab (built from anyone's file)
against the expectations in FILE instead: an expectations file holds
expect: and, optionally, nodes: that must exist and addresses: they must
hold (a lab file will do: its expect: entries are taken). --score prints the points of each check and a last line
"score LAB EARNED/TOTAL" to collect from many labs.`,
		Example: "  topo check\n  topo check examples/router.yaml\n  topo check lab1 --all --json\n  topo check alice --expect grade.yaml --score",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := sampleFlags{pairs: samples, pairsSet: cmd.Flags().Changed("pairs"), seedSet: cmd.Flags().Changed("seed"), all: allPairs, expect: expectFile != ""}
			if err := flags.problem(); err != nil {
				return err
			}
			if err := needRoot("topo check"); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if expectFile != "" {
				f, err := topology.LoadExpectFile(expectFile)
				if err != nil {
					// Exit status 2: the teacher's file is wrong, not
					// the lab graded.
					fmt.Fprintf(cmd.ErrOrStderr(), "topo: expectations file %s:\n%v\n", expectFile, err)
					return exitError{2}
				}
				o := gradeOpts{json: asJSON, score: score, timeout: timeout}
				l, err := checkTarget(args, cmd.ErrOrStderr())
				if err != nil {
					return gradeNotUp(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, f, o, err)
				}
				return runGrade(ctx, cmd.OutOrStdout(), l, f, o)
			}
			l, err := checkTarget(args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if score {
				return errors.New("--score grades against an expectations file: add --expect FILE")
			}
			o := checkOpts{json: asJSON, all: allPairs || samples > 0, timeout: timeout, samples: samples, seed: seed}
			if !cmd.Flags().Changed("seed") {
				o.seed = uint64(time.Now().UnixNano())
			}
			return runCheck(ctx, cmd.OutOrStdout(), l, o)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&allPairs, "all", false, "check all pairs even when the lab has expectations")
	c.Flags().StringVar(&expectFile, "expect", "", "check against the expectations in `FILE` (expect:, nodes:, addresses:) instead of the lab's own")
	c.Flags().BoolVar(&score, "score", false, "with --expect: print the points of each check and the total")
	c.Flags().IntVar(&samples, "pairs", 0, "probe `N` pairs picked at random among all pairs (see --seed)")
	c.Flags().Uint64Var(&seed, "seed", 0, "with --pairs: the seed that picks the pairs (default: a new one, printed)")
	c.Flags().VarP(secondsVar(&timeout, time.Second), "timeout", "W", "time to wait for each answer (seconds, or a duration such as 200ms)")
	return c
}

// checkTarget finds the lab to check: a file's lab (which must be up,
// with the file's expectations), a lab by name, or the only lab up.
func checkTarget(args []string, warn io.Writer) (*topology.Lab, error) {
	arg := ""
	if len(args) == 1 {
		arg = args[0]
	}
	if arg != "" && !topology.ValidLabName(arg) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		desired, err := loadFile(arg, warn)
		if err != nil {
			return nil, err
		}
		applied, err := lab.Applied(desired.Name)
		if err != nil {
			return nil, fmt.Errorf("%w: bring it up with `topo up %s`", err, arg)
		}
		applied.Expect = desired.Expect
		return applied, nil
	}
	name, err := pickLab(arg)
	if err != nil {
		return nil, err
	}
	return lab.Applied(name)
}

type checkOpts struct {
	json, all bool
	timeout   time.Duration
	samples   int    // > 0: that many pairs at random (lab.SamplePairs)
	seed      uint64 // for samples
}

// runCheck checks l's expectations or all its pairs and prints the
// outcome; a failure is reported as exit status 1.
func runCheck(ctx context.Context, out io.Writer, l *topology.Lab, o checkOpts) error {
	if err := routingConverged(ctx, l); err != nil {
		return err
	}
	popts := probe.ProberOptions{Timeout: o.timeout}
	if len(l.Expect) > 0 && !o.all {
		res, err := lab.CheckExpectations(ctx, l, popts)
		if err != nil {
			return err
		}
		failed := 0
		for _, r := range res {
			if !r.Holds {
				failed++
			}
		}
		saveCheck(l.Name, lab.ExpectationsCheck(res))
		if o.json {
			writeJSON(out, res)
		} else {
			for _, r := range res {
				printVerdict(out, r.Holds, expectText(r), r.Why, r.Detail)
			}
			fmt.Fprintf(out, "*** Expectations: %d of %d hold\n", len(res)-failed, len(res))
		}
		if failed > 0 {
			return exitError{1}
		}
		return nil
	}
	var pairs []probe.Pair
	if o.samples > 0 {
		pairs = lab.SamplePairs(l, o.samples, o.seed)
		if !o.json {
			fmt.Fprintf(out, "%d pairs picked at random (--seed %d picks them again)\n", len(pairs), o.seed)
		}
	} else {
		pairs = lab.AllPairs(l)
	}
	if len(pairs) == 0 {
		return fmt.Errorf("lab %s has no pair of hosts with addresses to check", l.Name)
	}
	start := time.Now()
	res, err := lab.CheckPairs(ctx, l, pairs, popts)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range res {
		if !r.Reached {
			failed++
		}
	}
	saveCheck(l.Name, lab.PairsCheck(res))
	if o.json {
		writeJSON(out, res)
	} else {
		hosts := lab.Hosts(l)
		if len(hosts) <= maxMatrixHosts {
			probe.FormatMatrix(out, hosts, res)
		}
		probe.FormatMissing(out, res, maxMissing)
		fmt.Fprintf(out, "%s (%d pairs in %.2fs)\n", probe.Summary(res), len(res), time.Since(start).Seconds())
	}
	if failed > 0 {
		// A failure the kernel's full neighbour table explains says so
		// in its own reason (lab.CheckPairs counts the table's refusals
		// while the probes run).
		return exitError{1}
	}
	return nil
}

// expectText says what an expectation wants, with the address a node
// name stood for: "h1 must reach h2 (10.0.0.2)".
func expectText(r lab.ExpectResult) string {
	e := r.Expect
	if e.Kind() != topology.ExpectReach {
		return e.String()
	}
	to := e.To
	if r.Result.ToNode != "" {
		to += " (" + r.Result.To.String() + ")"
	}
	want := "reach"
	if !e.Reach {
		want = "not reach"
	}
	return fmt.Sprintf("%s must %s %s", e.From, want, to)
}

// printVerdict prints one check: a mark, what it wants, why, and for a
// failure the steps that show it, indented.
func printVerdict(out io.Writer, holds bool, what, why string, detail []string) {
	mark := "✓"
	if !holds {
		mark = "✗"
	}
	fmt.Fprintf(out, "%s %s: %s\n", mark, what, why)
	for _, d := range detail {
		fmt.Fprintf(out, "    %s\n", d)
	}
}

func writeJSON(out io.Writer, v any) {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// saveCheck stores a check's outcome for topo graph and topo ui; a
// failure to store it only warns: the check itself has run.
func saveCheck(name string, c *lab.LastCheck) {
	if err := lab.SaveLastCheck(name, c); err != nil {
		fmt.Fprintln(os.Stderr, "topo: warning:", err)
	}
}
