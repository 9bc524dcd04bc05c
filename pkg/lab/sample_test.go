package lab

import (
	"slices"
	"testing"

	"github.com/topo-lab/topo/pkg/probe"
)

func TestSamplePairs(t *testing.T) {
	l := generated(t, "tree", 2, 8)
	all := AllPairs(l)
	in := map[probe.Pair]bool{}
	for _, p := range all {
		in[p] = true
	}
	got := SamplePairs(l, 100, 7)
	if len(got) != 100 {
		t.Fatalf("SamplePairs(100) gave %d pairs", len(got))
	}
	seen := map[probe.Pair]bool{}
	for _, p := range got {
		if !in[p] {
			t.Errorf("%+v is not one of AllPairs", p)
		}
		if seen[p] {
			t.Errorf("%+v picked twice", p)
		}
		seen[p] = true
	}
	if again := SamplePairs(l, 100, 7); !slices.Equal(again, got) {
		t.Error("the same seed gave other pairs")
	}
	if other := SamplePairs(l, 100, 8); slices.Equal(other, got) {
		t.Error("another seed gave the same pairs")
	}
	if n := countPairs(Hosts(l), Hosts(l), l.AddressesByNode()); n != len(all) {
		t.Errorf("countPairs = %d, AllPairs has %d", n, len(all))
	}
	if every := SamplePairs(l, len(all), 7); !slices.Equal(every, all) {
		t.Errorf("asking for all %d pairs gave %d, not AllPairs", len(all), len(every))
	}
}
