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
	rep := gradeReport{Lab: l.Name, File: f.File, Checks: len(items), Items: items}
	for _, g := range items {
		rep.Earned += g.Earned
		rep.Points += g.Points
		if g.Holds {
			rep.Holds++
		}
	}
	writeGrade(out, rep, o)
	if rep.Holds < rep.Checks {
		return exitError{1}
	}
	return nil
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
