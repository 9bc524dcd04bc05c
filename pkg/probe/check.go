package probe

import (
	"context"
	"fmt"
	"github.com/topo-lab/topo/pkg/explain"
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
	// ICMP is the ICMP error that came back, with ReasonUnreachable.
	ICMP *ICMPError `json:"icmp,omitempty"`
	// Iface is the source's output interface, and Src the source
	// address its kernel chose; with NextHop, looked up by Probe
	// always, by ProbeAll (and so Check) only for failures.
	Iface string     `json:"iface,omitempty"`
	Src   netip.Addr `json:"src,omitzero"`
	// NextHop is the gateway, or To itself when on-link.
	NextHop netip.Addr `json:"next_hop,omitzero"`
	// MAC is the next hop's hardware address in the source's neighbour
	// table, read when an echo went unanswered.
	MAC string `json:"mac,omitempty"`
	// Neighbor is set when the source's neighbour table and topo's own
	// ARP/NDP disagree about the next hop's MAC.
	Neighbor *NeighborMismatch `json:"neighbor_mismatch,omitempty"`
	// Error details a failure.
	Error string `json:"error,omitempty"`
	// Why names the first broken hop of the path, in a sentence, when
	// the path was explained; Path gives it hop by hop.
	Why  string        `json:"why,omitempty"`
	Path *explain.Path `json:"path,omitempty"`
}

// NeighborMismatch is a source's neighbour entry that names another MAC
// than the one the next hop answers topo's own ARP or NDP from: the
// host's frames go where nobody listens.
type NeighborMismatch struct {
	Addr  netip.Addr `json:"addr"`
	Iface string     `json:"iface"`
	// Table is the MAC in the neighbour table, in State ("permanent").
	Table string `json:"table_mac"`
	State string `json:"state"`
	// Answered is the MAC that answered topo's own request.
	Answered string `json:"answered_mac"`
}

// String says the disagreement in a sentence.
func (m *NeighborMismatch) String() string {
	proto := "ARP"
	if m.Addr.Is6() {
		proto = "NDP"
	}
	return fmt.Sprintf("the neighbour entry for %s on %s says %s (%s), but %s answers topo's own %s from %s: the echo requests go to a MAC nobody has (fix or delete the entry: ip neigh del %s dev %s)",
		m.Addr, m.Iface, m.Table, m.State, m.Addr, proto, m.Answered, m.Addr, m.Iface)
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

// batchSource is a Source that probes many destinations from one loop
// (see Prober.ProbeAll); Check uses it when a Source offers it.
type batchSource interface {
	ProbeAll(ctx context.Context, dsts []netip.Addr, window int) []Result
}

// batchOf returns src's batch prober, looking through a shared source.
func batchOf(src Source) (batchSource, bool) {
	if k, ok := src.(keptSource); ok {
		src = k.Source
	}
	b, ok := src.(batchSource)
	return b, ok
}

// Opener opens the Source for a node name. It is called once per
// distinct Pair.From, from any goroutine.
type Opener func(from string) (Source, error)

// CheckOptions bounds Check's parallelism. Zero values mean defaults.
type CheckOptions struct {
	// Sources is how many source nodes are probed at once (each holds
	// one socket per output interface); default DefaultSources.
	Sources int
	// PerSource is how many probes one source has in flight; default
	// DefaultPerSource.
	PerSource int
}

// Defaults of CheckOptions' fields left zero.
const (
	DefaultSources   = 16
	DefaultPerSource = 64
)

// DefaultTimeout is a probe's timeout when its options give none
// (ProberOptions, PingOptions).
const DefaultTimeout = time.Second

// Check answers every pair, in parallel: pairs are grouped by source, at
// most opts.Sources sources are open at a time, and each has at most
// opts.PerSource probes in flight over its shared sockets (from one
// loop when the Source offers ProbeAll, as a Prober does), so descriptors
// and goroutines stay bounded however many pairs there are. Results come
// back in the order of pairs. A source that cannot be opened fails all
// its pairs with ReasonError. Cancelling ctx ends outstanding probes.
// Callable from any goroutine; needs no particular namespace itself.
func Check(ctx context.Context, open Opener, pairs []Pair, opts CheckOptions) []Result {
	if opts.Sources <= 0 {
		opts.Sources = DefaultSources
	}
	if opts.PerSource <= 0 {
		opts.PerSource = DefaultPerSource
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
	if b, ok := batchOf(src); ok {
		dsts := make([]netip.Addr, len(idx))
		for k, i := range idx {
			dsts[k] = pairs[i].To
		}
		for k, r := range b.ProbeAll(ctx, dsts, inFlight) {
			results[idx[k]] = label(idx[k], r)
		}
		return
	}
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
