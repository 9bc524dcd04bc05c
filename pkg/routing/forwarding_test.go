package routing

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

// ringLab is lab 9 of the course: four routers in a ring, a host on
// each, OSPF on every router.
func ringLab(t *testing.T) *topology.Lab {
	t.Helper()
	data, err := os.ReadFile("../../examples/course/09-ospf-ring/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, string(data))
}

// ringDown is the ring with the link r1-r2 down, and the RIBs of its
// routers once they have converged: a line r1 - r4 - r3 - r2, each
// prefix reached along it.
func ringDown(t *testing.T) (*topology.Lab, map[string]RIB) {
	l := ringLab(t)
	l.Links[0].Down = true
	line := []string{"r1", "r4", "r3", "r2"}
	// towards[x][y]: x's next hop (address, interface) to neighbour y.
	towards := map[string]map[string]NextHop{
		"r1": {"r4": {netip.MustParseAddr("10.0.41.1"), "eth2"}},
		"r4": {"r1": {netip.MustParseAddr("10.0.41.2"), "eth2"}, "r3": {netip.MustParseAddr("10.0.34.1"), "eth1"}},
		"r3": {"r4": {netip.MustParseAddr("10.0.34.2"), "eth2"}, "r2": {netip.MustParseAddr("10.0.23.1"), "eth1"}},
		"r2": {"r3": {netip.MustParseAddr("10.0.23.2"), "eth2"}},
	}
	index := map[string]int{}
	for i, r := range line {
		index[r] = i
	}
	// owners: a router on each subnet the routers route.
	owners := map[string]string{}
	for _, lk := range l.Links[1:] {
		for _, e := range lk.Ends {
			if strings.HasPrefix(e.Node, "r") {
				owners[e.Addresses[0].Masked().String()] = e.Node
			}
		}
	}
	ribs := map[string]RIB{}
	for _, x := range line {
		ribs[x] = RIB{}
		for p, y := range owners {
			pp := netip.MustParsePrefix(p)
			switch {
			case x == y || ownsBoth(l, x, p): // connected
				ribs[x][pp] = nil
			case index[y] > index[x]:
				ribs[x][pp] = []NextHop{towards[x][line[index[x]+1]]}
			default:
				ribs[x][pp] = []NextHop{towards[x][line[index[x]-1]]}
			}
		}
	}
	return l, ribs
}

// ownsBoth reports whether router x has an address in subnet p on a
// link that is up.
func ownsBoth(l *topology.Lab, x, p string) bool {
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			if e.Node == x && !lk.Down && e.Addresses[0].Masked().String() == p {
				return true
			}
		}
	}
	return false
}

func detourLines(ds []Detour) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s: %s", d.Router, d.Prefix, d.Why))
	}
	return strings.Join(out, "\n")
}

// TestDetours: once the routers have converged around a link that is
// down, every prefix is reached; before, a router that still sends a
// prefix out of the dead link, or two that send it to each other, are
// named.
func TestDetours(t *testing.T) {
	l, ribs := ringDown(t)
	if got := Detours(l, ribs); len(got) != 0 {
		t.Fatalf("converged ring: detours\n%s", detourLines(got))
	}
	h2 := netip.MustParsePrefix("10.2.0.0/24")

	// r1 has not noticed: it still sends h2's subnet out of eth1.
	l, ribs = ringDown(t)
	ribs["r1"][h2] = []NextHop{{netip.MustParseAddr("10.0.12.2"), "eth1"}}
	want := "r1 10.2.0.0/24: leaves r1 by eth1, which is down: r1"
	if got := detourLines(Detours(l, ribs)); got != want {
		t.Errorf("r1 towards the dead link: detours\n%s\nwant\n%s", got, want)
	}

	// r1 has moved to r4, but r4 has not run its SPF: it still splits
	// h2's traffic between r3 and r1, which sends it back.
	l, ribs = ringDown(t)
	ribs["r4"][h2] = []NextHop{{netip.MustParseAddr("10.0.34.1"), "eth1"}, {netip.MustParseAddr("10.0.41.2"), "eth2"}}
	want = "r1 10.2.0.0/24: loops: r1 → r4 → r1\n" +
		"r4 10.2.0.0/24: loops: r4 → r1 → r4"
	if got := detourLines(Detours(l, ribs)); got != want {
		t.Errorf("r4 stale: detours\n%s\nwant\n%s", got, want)
	}

	// r3 lost its route to h2's subnet: whoever sends it there is told.
	l, ribs = ringDown(t)
	delete(ribs["r3"], h2)
	want = "r1 10.2.0.0/24: ends at r3, which has no route to it: r1 → r4 → r3\n" +
		"r4 10.2.0.0/24: ends at r3, which has no route to it: r4 → r3"
	if got := detourLines(Detours(l, ribs)); got != want {
		t.Errorf("r3 without a route: detours\n%s\nwant\n%s", got, want)
	}

	// The router that offers a prefix ends the walk, route or not (a
	// BGP announcement of a prefix it does not hold is its own
	// business, not convergence).
	l, ribs = ringDown(t)
	delete(ribs["r2"], h2)
	if got := Detours(l, ribs); len(got) != 0 {
		t.Errorf("r2 without a route to its own subnet: detours\n%s", detourLines(got))
	}

	// A lab without routing daemons has nothing to follow.
	if got := Detours(parse(t, "hosts: {h1: {}}\n"), nil); got != nil {
		t.Errorf("no FRR: %v", got)
	}
}
