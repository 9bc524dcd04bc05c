package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/probe"
)

// TestCheckSamplePairs: --pairs N probes N distinct pairs of the lab,
// the same ones again for the same --seed, and prints a seed that
// picks them again when none is given.
func TestCheckSamplePairs(t *testing.T) {
	e2e.NeedRoot(t)
	l := newLab(t, "pairs", `hosts:
  h1: {}
  h2: {}
  h3: {}
  h4: {}
switches:
  s1: {}
links:
  - endpoints: [h1, s1]
    addresses: [10.77.9.1/24]
  - endpoints: [h2, s1]
    addresses: [10.77.9.2/24]
  - endpoints: [h3, s1]
    addresses: [10.77.9.3/24]
  - endpoints: [h4, s1]
    addresses: [10.77.9.4/24]
`)
	l.Up()
	picked := func(args ...string) []probe.Pair {
		t.Helper()
		r := l.Must(append([]string{"check", l.Name, "--json"}, args...)...)
		var res []probe.Result
		if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
			t.Fatalf("check --json: %v\n%v", err, r)
		}
		var out []probe.Pair
		for _, x := range res {
			if !x.Reached {
				t.Errorf("%s -> %s not reached: %s", x.From, x.To, x.Reason)
			}
			out = append(out, probe.Pair{From: x.From, To: x.To, ToNode: x.ToNode})
		}
		return out
	}
	a := picked("--pairs", "5", "--seed", "3")
	if len(a) != 5 {
		t.Fatalf("--pairs 5 probed %d pairs: %v", len(a), a)
	}
	for i, p := range a {
		if p.From == p.ToNode || slices.Contains(a[:i], p) {
			t.Errorf("pair %v probed twice or to itself", p)
		}
	}
	if b := picked("--pairs", "5", "--seed", "3"); !slices.Equal(a, b) {
		t.Errorf("--seed 3 picked %v, then %v", a, b)
	}
	if all := picked("--pairs", "100"); len(all) != 12 {
		t.Errorf("--pairs 100 of a lab of 12 pairs probed %d", len(all))
	}
	r := l.Must("check", l.Name, "--pairs", "3")
	m := regexp.MustCompile(`3 pairs picked at random \(--seed (\d+) picks them again\)`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("check --pairs 3 does not print its seed:\n%s", r.Stdout)
	}
	if r := l.Topo("check", l.Name, "--pairs", "3", "--expect", "x.yaml"); r.Code == 0 || !strings.Contains(r.Stderr, "--pairs") {
		t.Errorf("--pairs with --expect: %v", r)
	}
}
