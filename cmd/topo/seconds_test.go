package main

import (
	"strings"
	"testing"
	"time"
)

func TestSecondsFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "1", want: time.Second},
		{in: "0.2", want: 200 * time.Millisecond},
		{in: "200ms", want: 200 * time.Millisecond},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "-1", err: "cannot be negative"},
		{in: "-1s", err: "cannot be negative"},
		{in: "soon", err: `"soon" is not a time`},
	} {
		var d time.Duration
		s := secondsVar(&d, time.Minute)
		err := s.Set(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && d != tc.want:
			t.Errorf("%q: %v, want %v", tc.in, d, tc.want)
		}
	}
}
