package lab

import (
	"math/rand/v2"
	"net/netip"

	"github.com/topo-lab/topo/pkg/probe"
	"github.com/topo-lab/topo/pkg/topology"
)

// SamplePairs picks n distinct pairs of AllPairs(l) at random from
// seed, without listing them all (a lab of 10,000 hosts has 100
// million): a source host, a target node and one of its addresses,
// each uniformly, pairs already picked skipped. The same lab and seed
// give the same pairs. All of AllPairs when there are no more than n,
// in its order. Pure.
func SamplePairs(l *topology.Lab, n int, seed uint64) []probe.Pair {
	hosts := Hosts(l)
	addrs := l.AddressesByNode()
	targets := append([]string(nil), hosts...)
	if l.Site != "" {
		for _, nd := range l.Nodes {
			if !l.IsLocal(nd.Name) && len(addrs[nd.Name]) > 0 {
				targets = append(targets, nd.Name)
			}
		}
	}
	if countPairs(hosts, targets, addrs) <= n {
		return AllPairs(l)
	}
	type key struct {
		from string
		to   netip.Addr
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[key]bool, n)
	out := make([]probe.Pair, 0, n)
	// Each try finds a new pair with a chance of at least 1/2 while
	// fewer than half are picked, unless most targets have no
	// address: the tries are bounded all the same.
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		from, to := hosts[rng.IntN(len(hosts))], targets[rng.IntN(len(targets))]
		as := addrs[to]
		if to == from || len(as) == 0 {
			continue
		}
		a := as[rng.IntN(len(as))].Addr()
		if k := (key{from, a}); !seen[k] {
			seen[k] = true
			out = append(out, probe.Pair{From: from, To: a, ToNode: to})
		}
	}
	return out
}

// countPairs is len(AllPairs) for these hosts, targets and addresses,
// without listing them.
func countPairs(hosts, targets []string, addrs map[string][]netip.Prefix) int {
	total := 0
	for _, t := range targets {
		total += len(addrs[t])
	}
	isTarget := make(map[string]bool, len(targets))
	for _, t := range targets {
		isTarget[t] = true
	}
	n := 0
	for _, h := range hosts {
		n += total
		if isTarget[h] {
			n -= len(addrs[h])
		}
	}
	return n
}
