package main

import (
	"strings"
	"testing"
)

func TestSampleFlagsProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    sampleFlags
		want string // "" for no problem
	}{
		{"nothing given", sampleFlags{}, ""},
		{"a sample", sampleFlags{pairs: 5, pairsSet: true}, ""},
		{"a sample again", sampleFlags{pairs: 5, pairsSet: true, seedSet: true}, ""},
		{"all pairs", sampleFlags{all: true}, ""},
		{"zero pairs", sampleFlags{pairs: 0, pairsSet: true}, "--pairs 0: give a number of pairs above 0"},
		{"negative pairs", sampleFlags{pairs: -3, pairsSet: true}, "--pairs -3"},
		{"all and a sample", sampleFlags{pairs: 5, pairsSet: true, all: true}, "give one of the two"},
		{"seed alone", sampleFlags{seedSet: true}, "add --pairs N"},
		{"a sample of an expectations file", sampleFlags{pairs: 5, pairsSet: true, expect: true}, "drop --expect"},
		{"a seed for an expectations file", sampleFlags{seedSet: true, expect: true}, "drop --expect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.problem()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("problem = %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("problem = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
