package lab

import (
	"runtime"
	"time"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// overBacklog lists the switches of l's LANs whose broadcasts can
// overflow an input backlog of that many frames (see
// topology.LAN.Overflows). Pure.
func overBacklog(l *topology.Lab, backlog int) map[string]bool {
	over := map[string]bool{}
	for _, lan := range l.LANs() {
		if !lan.Overflows(backlog) {
			continue
		}
		for _, s := range lan.Switches {
			over[s] = true
		}
	}
	return over
}

// floodCopies maps each host on a switched LAN to how many frames one
// broadcast it sends there costs the kernel: a copy for every host
// interface and switch of the LAN (the largest, when the host is on
// several). Pure.
func floodCopies(l *topology.Lab) map[string]int {
	out := map[string]int{}
	for _, lan := range l.LANs() {
		for _, m := range lan.Members {
			out[m] = max(out[m], lan.Copies())
		}
	}
	return out
}

// floodBudgetPerCPU is how many frames of the broadcasts of probes in
// flight CheckPairs lets each CPU deliver per second of a probe's
// timeout. On a 2-core machine one ARP request on a LAN of 11,155
// namespaces took about 12 ms of the kernel's time; 40 of them in
// flight at once (466,000 frames) still answered 1,000 pairs out of
// 1,000 within 1 s, 80 did not (5 late); on a LAN of 4,161 with 96 in
// flight (400,000 frames) one echo in 1,500 came late. 100,000 per
// CPU allows 17 and 48 there.
const floodBudgetPerCPU = 100_000

// paceFloods bounds how many probes opts lets CheckPairs have in flight
// so that the broadcasts they may all send at once (an ARP request, a
// neighbour solicitation: one per probe whose source does not know its
// next hop yet; for a routed pair, one more from the last router)
// cost the kernel at most budget frames: on a large flat LAN each is
// copied to every namespace, and more in flight than the CPUs deliver
// within the timeout turn into false "no reply" failures. Where every
// probe fits, opts is returned unchanged. Pure.
func paceFloods(l *topology.Lab, pairs []probe.Pair, opts probe.CheckOptions, budget int) probe.CheckOptions {
	copies := floodCopies(l)
	local := l.AddressesByNode()
	worst := 0
	sources := map[string]bool{}
	for _, p := range pairs {
		sources[p.From] = true
		cost := copies[p.From]
		if pairEntries(local, p) == nil {
			cost += copies[p.ToNode]
		}
		worst = max(worst, cost)
	}
	if opts.Sources <= 0 {
		opts.Sources = probe.DefaultSources
	}
	if opts.PerSource <= 0 {
		opts.PerSource = probe.DefaultPerSource
	}
	if worst == 0 || opts.Sources*opts.PerSource*worst <= budget {
		return opts
	}
	slots := max(1, budget/worst)
	opts.Sources = max(1, min(opts.Sources, slots, len(sources)))
	opts.PerSource = max(1, min(opts.PerSource, slots/opts.Sources))
	return opts
}

// floodBudget is paceFloods' budget for probes that wait timeout (the
// Prober's default when zero) on this machine's CPUs.
func floodBudget(timeout time.Duration) int {
	if timeout <= 0 {
		timeout = probe.DefaultTimeout
	}
	return int(float64(floodBudgetPerCPU*runtime.GOMAXPROCS(0)) * timeout.Seconds())
}
