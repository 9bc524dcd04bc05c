package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

type gradeOpts struct {
	json, score bool
	timeout     time.Duration
}

// gradeReport is `topo check LAB --expect FILE --json`: the lab, the
// file, the totals and every check.
type gradeReport struct {
	Lab    string       `json:"lab"`
	File   string       `json:"file"`
	Earned int          `json:"earned"`
	Points int          `json:"points"`
	Holds  int          `json:"holds"`
	Checks int          `json:"checks"`
	Items  []lab.Graded `json:"results"`
}

// runGrade checks the running lab l against an expectations file and
// prints the verdicts: marks, points (--score) or JSON. Anything that
// fails is exit status 1, as for topo check.
func runGrade(ctx context.Context, out io.Writer, l *topology.Lab, f *topology.ExpectFile, o gradeOpts) error {
	items, err := lab.Grade(ctx, l, f, probe.ProberOptions{Timeout: o.timeout})
	if err != nil {
		return err
	}
	rep := report(l.Name, f, items)
	writeGrade(out, rep, o)
	if rep.Holds < rep.Checks {
		return exitError{1}
	}
	return nil
}

// gradeNotUp answers a grading whose lab could not be found (err, from
// checkTarget): when args name a lab that is not up, every check fails
// with err, the report says 0 points (the last line of --score is
// still "score LAB 0/TOTAL", so a teacher's loop over a class keeps
// the row) and the exit status is 1, as for a lab that fails; any
// other error is returned as it is.
func gradeNotUp(out, stderr io.Writer, args []string, f *topology.ExpectFile, o gradeOpts, err error) error {
	if len(args) != 1 || !topology.ValidLabName(args[0]) || labNotUp(args[0]) == nil {
		return err
	}
	fmt.Fprintf(stderr, "topo: %v\n", err)
	items := lab.NotGraded(f, fmt.Sprintf("lab %s is not up", args[0]))
	writeGrade(out, report(args[0], f, items), o)
	return exitError{1}
}

// report totals graded checks.
func report(name string, f *topology.ExpectFile, items []lab.Graded) gradeReport {
	rep := gradeReport{Lab: name, File: f.File, Checks: len(items), Items: items}
	for _, g := range items {
		rep.Earned += g.Earned
		rep.Points += g.Points
		if g.Holds {
			rep.Holds++
		}
	}
	return rep
}

// writeGrade prints a grading report as JSON, as points with the
// "score LAB EARNED/TOTAL" line last (--score), or as marks.
func writeGrade(out io.Writer, rep gradeReport, o gradeOpts) {
	switch {
	case o.json:
		writeJSON(out, rep)
	case o.score:
		w := len(fmt.Sprint(rep.Points))
		for _, g := range rep.Items {
			line := fmt.Sprintf("%*d/%-*d %s", w, g.Earned, w, g.Points, g.Check)
			if !g.Holds {
				line += ": " + g.Why
			}
			fmt.Fprintln(out, line)
		}
		fmt.Fprintf(out, "score %s %d/%d\n", rep.Lab, rep.Earned, rep.Points)
	default:
		for _, g := range rep.Items {
			printVerdict(out, g.Holds, g.Check, g.Why, g.Detail)
		}
		fmt.Fprintf(out, "*** %s: %d of %d checks hold, %d of %d points\n", rep.Lab, rep.Holds, rep.Checks, rep.Earned, rep.Points)
	}
}
