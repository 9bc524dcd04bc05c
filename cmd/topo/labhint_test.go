package main

import (
	"strings"
	"testing"
)

func TestUpHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		labs []string
		want string
	}{
		{"pbchai", []string{"other", "pbchain"}, `: did you mean "pbchain"?`},
		{"lab2", []string{"lab1"}, `: did you mean "lab1"?`},
		{"zzz", []string{"lab1"}, " (`topo status` lists the labs that are up)"},
		{"lab1", nil, " (no lab is up: start one with `topo up FILE`)"},
	} {
		if got := upHint(tc.name, tc.labs); got != tc.want {
			t.Errorf("upHint(%q, %q) = %q, want %q", tc.name, tc.labs, got, tc.want)
		}
	}
	if err := labNameError("MyLab"); !strings.Contains(err.Error(), `lab names are lower-case letters, digits and '-'`) || !strings.Contains(err.Error(), `did you mean "mylab"?`) {
		t.Errorf("labNameError(MyLab) = %v", err)
	}
}
