package lab

import (
	"context"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// reachRounds is how many times an echo expectation that wants an
// answer is probed before it fails: as `ping -c 3`, one answer is
// enough. A link that loses 1% of its frames (a course lab's
// impairment) would otherwise fail one check in a hundred.
const reachRounds = 3

// reachWanted says, for each echo expectation (expect[echo[k]]),
// whether it wants an answer.
func reachWanted(expect []*topology.Expectation, echo []int) []bool {
	want := make([]bool, len(echo))
	for k, i := range echo {
		want[k] = expect[i].Reach
	}
	return want
}

// checkReachable probes pairs (see CheckPairs), then probes again, up
// to reachRounds in all, the pairs that want an answer (want[k]) and got
// none; each keeps its last result. A pair that must not answer is
// probed once: a lost frame cannot make it answer, and its silence
// costs a timeout each round. Same preconditions as CheckPairs.
func checkReachable(ctx context.Context, l *topology.Lab, pairs []probe.Pair, want []bool, opts probe.ProberOptions) ([]probe.Result, error) {
	results, err := CheckPairs(ctx, l, pairs, opts)
	if err != nil {
		return nil, err
	}
	for range reachRounds - 1 {
		var again []int
		for k, r := range results {
			if want[k] && !r.Reached {
				again = append(again, k)
			}
		}
		if len(again) == 0 || ctx.Err() != nil {
			break
		}
		sub := make([]probe.Pair, len(again))
		for j, k := range again {
			sub[j] = pairs[k]
		}
		res, err := CheckPairs(ctx, l, sub, opts)
		if err != nil {
			return nil, err
		}
		for j, k := range again {
			results[k] = res[j]
		}
	}
	return results, nil
}
