package service

import (
	"testing"
	"time"
)

func TestNextBackoff(t *testing.T) {
	for _, c := range []struct {
		desc      string
		last, ran time.Duration
		want      time.Duration
	}{
		{"first failure", 0, time.Millisecond, minBackoff},
		{"doubles", minBackoff, time.Millisecond, 2 * minBackoff},
		{"capped", 20 * time.Second, time.Millisecond, maxBackoff},
		{"stays capped", maxBackoff, time.Second, maxBackoff},
		{"reset after a stable run", maxBackoff, stableAfter, minBackoff},
	} {
		if got := nextBackoff(c.last, c.ran); got != c.want {
			t.Errorf("%s: nextBackoff(%s, %s) = %s, want %s", c.desc, c.last, c.ran, got, c.want)
		}
	}
}

func TestShouldRestart(t *testing.T) {
	for _, c := range []struct {
		policy string
		exit   int
		want   bool
	}{
		{"on-failure", 0, false}, {"on-failure", 1, true}, {"on-failure", 137, true}, {"on-failure", -1, true},
		{"always", 0, true}, {"always", 3, true},
		{"never", 0, false}, {"never", 3, false}, {"never", -1, false},
	} {
		if got := shouldRestart(c.policy, c.exit); got != c.want {
			t.Errorf("shouldRestart(%s, %d) = %v, want %v", c.policy, c.exit, got, c.want)
		}
	}
}

func TestTail(t *testing.T) {
	p := t.TempDir() + "/log"
	if got := Tail(p, 3); got != nil {
		t.Errorf("Tail of a missing file = %q", got)
	}
	writeFile(t, p, "a\nb\nc\nd\n")
	if got := Tail(p, 2); len(got) != 2 || got[0] != "c" || got[1] != "d" {
		t.Errorf("Tail = %q, want [c d]", got)
	}
}
