package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/probe"
)

// agreeSeed is the agreement test's seed; TOPO_AGREE_SEED overrides it
// (to replay a failure, or to try others).
const agreeSeed = 13

// TestCheckAgreesWithPing generates random labs, breaks each at random
// (links down, routes removed, forwarding off, echo ignored, bogus
// static neighbour entries, nftables drops), and wants `topo check
// --all --json` to agree with the kernel's `ping -c1`, run in the
// source's namespace, on every pair.
func TestCheckAgreesWithPing(t *testing.T) {
	e2e.NeedRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping: nft not installed (make test-deps)")
	}
	seed := uint64(agreeSeed)
	if s := os.Getenv("TOPO_AGREE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TOPO_AGREE_SEED=%q: %v", s, err)
		}
		seed = v
	}
	const labs = 20
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pairs := 0
	for i := range labs {
		gen := genAgreeLab(rng)
		breakRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		ok := t.Run(fmt.Sprintf("lab%02d", i), func(t *testing.T) {
			l := newLab(t, fmt.Sprintf("ag%02d", i), gen.body)
			l.Up()
			breaks := gen.breaks(breakRng, l.Name, l.NS)
			for _, b := range breaks {
				switch {
				case b[0] == "topo":
					l.Must(b[1:]...)
				case slices.Contains(b, "del"):
					// The route may be gone already, with its link.
					_ = exec.Command(b[0], b[1:]...).Run()
				default:
					e2e.Sh(t, b[0], b[1:]...)
				}
			}
			r := l.Topo("check", l.Name, "--all", "--json", "-W", "2s")
			var res []probe.Result
			if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
				t.Fatalf("check --json: %v\n%v", err, r)
			}
			pairs += len(res)
			t.Logf("%d pairs", len(res))
			kernel := kernelPings(l, res)
			for i, x := range res {
				if x.Reached != kernel[i] {
					t.Errorf("%s -> %s (%s): topo check says reached=%v (%s), the kernel's ping -c1 says %v",
						x.From, x.ToNode, x.To, x.Reached, x.Why, kernel[i])
				}
			}
			if t.Failed() {
				var bs []string
				for _, b := range breaks {
					bs = append(bs, strings.Join(b, " "))
				}
				t.Logf("seed %d (TOPO_AGREE_SEED=%d replays it), lab %d broken by:\n  %s\nfile:\n%s", seed, seed, i, strings.Join(bs, "\n  "), gen.body)
			}
		})
		if !ok {
			t.Fatalf("seed %d: lab %d disagrees with the kernel (TOPO_AGREE_SEED=%d replays it)", seed, i, seed)
		}
	}
	if pairs < 500 {
		t.Errorf("only %d pairs over %d labs; the test wants at least 500", pairs, labs)
	}
	t.Logf("seed %d: %d labs, %d pairs, every one agreeing with ping -c1", seed, labs, pairs)
}

// kernelPings runs `ping -c1 -W2 ADDR` in the source node's namespace
// for every result, some at a time, and reports which got a reply.
func kernelPings(l *labT, res []probe.Result) []bool {
	out := make([]bool, len(res))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, r := range res {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cmd := exec.Command("ip", "netns", "exec", l.NS(r.From), "ping", "-n", "-q", "-c1", "-W2", r.To.String())
			out[i] = cmd.Run() == nil
		}()
	}
	wg.Wait()
	return out
}
