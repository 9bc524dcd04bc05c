package probe

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
)

// countingSource answers every probe and counts its Close calls.
type countingSource struct {
	mu     sync.Mutex
	closed int
}

func (s *countingSource) Probe(_ context.Context, dst netip.Addr) Result {
	return Result{To: dst, Reached: true}
}

func (s *countingSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

// TestSharedOpener: two Checks open each source once, a failed open is
// tried again by the next Check, and closeAll closes each source once.
func TestSharedOpener(t *testing.T) {
	var mu sync.Mutex
	opens := map[string]int{}
	sources := map[string]*countingSource{}
	failFirst := true
	open := func(from string) (Source, error) {
		mu.Lock()
		defer mu.Unlock()
		opens[from]++
		if from == "h3" && failFirst {
			failFirst = false
			return nil, errors.New("not yet")
		}
		s := &countingSource{}
		sources[from] = s
		return s, nil
	}
	shared, closeAll := SharedOpener(open)
	var pairs []Pair
	for _, from := range []string{"h1", "h2", "h3"} {
		for i := range 5 {
			pairs = append(pairs, Pair{From: from, To: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})})
		}
	}
	first := Check(context.Background(), shared, pairs, CheckOptions{Sources: 2, PerSource: 2})
	second := Check(context.Background(), shared, pairs, CheckOptions{Sources: 2, PerSource: 2})
	for i := range pairs {
		if want := pairs[i].From != "h3"; first[i].Reached != want {
			t.Errorf("first check, pair %d from %s: reached %v, want %v", i, pairs[i].From, first[i].Reached, want)
		}
		if !second[i].Reached {
			t.Errorf("second check, pair %d from %s: %+v", i, pairs[i].From, second[i])
		}
	}
	if opens["h1"] != 1 || opens["h2"] != 1 || opens["h3"] != 2 {
		t.Errorf("opens = %v, want h1 and h2 once, h3 twice (failed, then again)", opens)
	}
	for from, s := range sources {
		if s.closed != 0 {
			t.Errorf("%s closed %d times before closeAll", from, s.closed)
		}
	}
	if err := closeAll(); err != nil {
		t.Fatal(err)
	}
	for from, s := range sources {
		if s.closed != 1 {
			t.Errorf("%s closed %d times by closeAll, want 1", from, s.closed)
		}
	}
}
