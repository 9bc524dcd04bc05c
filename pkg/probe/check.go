package probe

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// Pair is one reachability question: can node From reach address To?
type Pair struct {
	// From is the source node name, as the Opener understands it.
	From string `json:"from"`
	// To is the destination address.
	To netip.Addr `json:"to"`
	// ToNode names the node that owns To, for display; may be empty.
	ToNode string `json:"to_node,omitempty"`
}

// Result is the answer to one Pair. It marshals to JSON as is.
type Result struct {
	From    string     `json:"from"`
	ToNode  string     `json:"to_node,omitempty"`
	To      netip.Addr `json:"to"`
	Reached bool       `json:"reached"`
	// Reason is why To was not reached; empty when it was.
	Reason Reason `json:"reason,omitempty"`
	// RTT of the echo that was answered.
	RTT time.Duration `json:"rtt_ns,omitempty"`
	// TTL (IPv4) or hop limit (IPv6) of the echo reply.
	TTL int `json:"ttl,omitempty"`
	// Iface is the source's output interface.
	Iface string `json:"iface,omitempty"`
	// NextHop is the gateway, or To itself when on-link.
	NextHop netip.Addr `json:"next_hop,omitzero"`
	// MAC is the next hop's hardware address, when it was resolved.
	MAC string `json:"mac,omitempty"`
	// Error details a failure.
	Error string `json:"error,omitempty"`
}

// Source probes destinations from one node. Implementations must allow
// concurrent Probe calls.
type Source interface {
	// Probe sends one echo (after resolving the next hop) and returns
	// the outcome; From and ToNode are filled in by Check.
	Probe(ctx context.Context, dst netip.Addr) Result
	// Close releases the source's sockets.
	Close() error
}

// Opener opens the Source for a node name. It is called once per
// distinct Pair.From, from any goroutine.
type Opener func(from string) (Source, error)

// CheckOptions bounds Check's parallelism. Zero values mean defaults.
type CheckOptions struct {
	// Sources is how many source nodes are probed at once (each holds
	// one socket per output interface); default 16.
	Sources int
	// PerSource is how many probes one source has in flight; default 64.
	PerSource int
}

// Check answers every pair, in parallel: pairs are grouped by source, at
// most opts.Sources sources are open at a time, and each runs at most
// opts.PerSource probes at once over its shared sockets, so descriptors
// and goroutines stay bounded however many pairs there are. Results come
// back in the order of pairs. A source that cannot be opened fails all
// its pairs with ReasonError. Cancelling ctx ends outstanding probes.
// Callable from any goroutine; needs no particular namespace itself.
func Check(ctx context.Context, open Opener, pairs []Pair, opts CheckOptions) []Result {
	if opts.Sources <= 0 {
		opts.Sources = 16
	}
	if opts.PerSource <= 0 {
		opts.PerSource = 64
	}
	results := make([]Result, len(pairs))
	bySource := make(map[string][]int)
	var order []string
	for i, p := range pairs {
		if _, ok := bySource[p.From]; !ok {
			order = append(order, p.From)
		}
		bySource[p.From] = append(bySource[p.From], i)
	}
	sources := make(chan string)
	var wg sync.WaitGroup
	for range min(opts.Sources, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range sources {
				checkSource(ctx, open, from, pairs, bySource[from], results, opts.PerSource)
			}
		}()
	}
	for _, from := range order {
		sources <- from
	}
	close(sources)
	wg.Wait()
	return results
}

// checkSource probes the pairs idx, which all start at from.
func checkSource(ctx context.Context, open Opener, from string, pairs []Pair, idx []int, results []Result, inFlight int) {
	label := func(i int, r Result) Result {
		r.From, r.ToNode, r.To = pairs[i].From, pairs[i].ToNode, pairs[i].To
		return r
	}
	src, err := open(from)
	if err != nil {
		for _, i := range idx {
			results[i] = label(i, Result{Reason: ReasonError, Error: err.Error()})
		}
		return
	}
	defer src.Close()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(inFlight, len(idx)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := ctx.Err(); err != nil {
					results[i] = label(i, Result{Reason: ReasonError, Error: err.Error()})
					continue
				}
				results[i] = label(i, src.Probe(ctx, pairs[i].To))
			}
		}()
	}
	for _, i := range idx {
		next <- i
	}
	close(next)
	wg.Wait()
}
