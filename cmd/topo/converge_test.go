package main

import (
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

// TestAddressesCame: up names how the addresses came, SLAAC being no
// lease.
func TestAddressesCame(t *testing.T) {
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"dhcp"}, "addresses leased"},
		{[]string{"dhcp6"}, "addresses leased"},
		{[]string{"slaac"}, "addresses made from router advertisements"},
		{[]string{"dhcp", "slaac"}, "addresses leased and made from router advertisements"},
	} {
		l := &topology.Lab{Links: []*topology.Link{{Ends: [2]topology.Endpoint{{Node: "h1", Interface: "eth0", Dynamic: c.words}, {Node: "r1", Interface: "eth0"}}}}}
		if got := addressesCame(l); got != c.want {
			t.Errorf("%v: %q, want %q", c.words, got, c.want)
		}
	}
}
