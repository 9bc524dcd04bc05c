package probe

// PathMTU is what a search for a path's MTU found: the largest IP
// packet, DF set, that crossed the path and was answered.
type PathMTU struct {
	// MTU is that packet's size in bytes, header included; 0 when not
	// even the smallest packet tried passed (Why says what happened).
	MTU int `json:"mtu"`
	// Tries lists the sizes tried, in order.
	Tries []MTUTry `json:"tries"`
	// Why says why the smallest packet did not pass, when it did not.
	Why string `json:"why,omitempty"`
}

// MTUTry is one packet size tried, and whether it passed; Why says
// what stopped it ("r1 (10.0.1.1): fragmentation needed and DF set
// (mtu 1400)", "no reply within the timeout").
type MTUTry struct {
	Size   int    `json:"size"`
	Passed bool   `json:"passed"`
	Why    string `json:"why,omitempty"`
}

// mtuOutcome is what one try tells the search: the packet passed; or
// it did not, and hint is the MTU a router said its link takes (0 when
// none did).
type mtuOutcome struct {
	pass bool
	hint int
	why  string
}

// searchMTU finds the largest size in [lo, hi] for which try passes,
// as tracepath does: the smallest first (nothing passes when it does
// not), the largest next, then the MTU a "fragmentation needed" or
// "packet too big" names, else halving the sizes still in doubt. A
// router's word is trusted: a link of MTU m is taken to drop m+1.
func searchMTU(lo, hi int, try func(size int) mtuOutcome) PathMTU {
	var res PathMTU
	do := func(size int) mtuOutcome {
		o := try(size)
		res.Tries = append(res.Tries, MTUTry{Size: size, Passed: o.pass, Why: o.why})
		return o
	}
	if o := do(lo); !o.pass {
		res.Why = o.why
		return res
	}
	good, bad := lo, hi+1
	next := hi
	for good+1 < bad {
		o := do(next)
		if o.pass {
			good = next
		} else {
			bad = next
			if o.hint >= good && o.hint < bad {
				bad = o.hint + 1
			}
		}
		next = (good + bad) / 2
		if o.hint > good && o.hint < bad {
			next = o.hint
		}
	}
	res.MTU = good
	return res
}
