package probe

import (
	"fmt"
	"testing"
)

// pathOf is a path whose narrowest link takes mtu; with tell, the
// router before it says so, as Linux does; without, it drops silently.
func pathOf(mtu int, tell bool) func(int) mtuOutcome {
	return func(size int) mtuOutcome {
		if size <= mtu {
			return mtuOutcome{pass: true}
		}
		if tell {
			return mtuOutcome{hint: mtu, why: fmt.Sprintf("fragmentation needed (mtu %d)", mtu)}
		}
		return mtuOutcome{why: "no reply"}
	}
}

func TestSearchMTU(t *testing.T) {
	for _, c := range []struct {
		desc      string
		lo, hi    int
		try       func(int) mtuOutcome
		mtu, most int // most: the most tries allowed
	}{
		{"the first link is the narrowest", 68, 1500, pathOf(1500, true), 1500, 2},
		{"a router names a smaller link", 68, 1500, pathOf(1400, true), 1400, 3},
		{"a silent black hole", 68, 1500, pathOf(1400, false), 1400, 14},
		{"a silent black hole, odd size", 68, 9000, pathOf(1234, false), 1234, 16},
		{"only the smallest passes", 68, 1500, pathOf(68, false), 68, 14},
		{"nothing passes", 68, 1500, pathOf(0, false), 0, 1},
		{"IPv6 range", 1280, 1500, pathOf(1280, true), 1280, 3},
		{"two narrowing links, each router names its own", 68, 1500, func(s int) mtuOutcome {
			switch {
			case s > 1400:
				return mtuOutcome{hint: 1400}
			case s > 1300:
				return mtuOutcome{hint: 1300}
			}
			return mtuOutcome{pass: true}
		}, 1300, 4},
	} {
		t.Run(c.desc, func(t *testing.T) {
			got := searchMTU(c.lo, c.hi, c.try)
			if got.MTU != c.mtu {
				t.Errorf("found %d, want %d (tries %+v)", got.MTU, c.mtu, got.Tries)
			}
			if len(got.Tries) > c.most {
				t.Errorf("%d tries, want at most %d: %+v", len(got.Tries), c.most, got.Tries)
			}
			if c.mtu == 0 && got.Why == "" {
				t.Error("nothing passed, but no reason is given")
			}
		})
	}
}
