package e2e

import (
	"sort"
	"strings"
	"testing"
)

// PlanSteps picks the step lines ("+ node h1  (new)") out of the
// output of up or plan, without the "(why)" part.
func PlanSteps(out string) []string {
	var steps []string
	for _, line := range strings.Split(out, "\n") {
		if len(line) < 2 || !strings.Contains("+-~!", line[:1]) || line[1] != ' ' {
			continue
		}
		if i := strings.LastIndex(line, " ("); i > 0 && strings.HasSuffix(line, ")") {
			line = line[:i]
		}
		steps = append(steps, strings.TrimSpace(line))
	}
	return steps
}

// SameSteps fails t unless got and want hold the same steps, in any
// order.
func SameSteps(t testing.TB, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s: steps\n  %s\nwant\n  %s", what, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}
