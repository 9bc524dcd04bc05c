package main

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestSplitCapture(t *testing.T) {
	l, _, err := topology.Parse("lab.yaml", []byte(`name: t
hosts:
  h1: {}
  dns: {}
links:
  - endpoints: [h1:eth0, dns:eth0]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args           string
		dash           int
		targets, words string
	}{
		{"h2 arp", -1, "h2", "arp"},
		{"h1 dns:eth0 not arp", -1, "h1 dns:eth0", "not arp"},
		{"link:h1:eth0 (icmp or arp)", -1, "link:h1:eth0", "(icmp or arp)"},
		{"h1 !arp", -1, "h1", "!arp"},
		{"h1 and arp", -1, "h1", "and arp"},
		{"h1 dns", -1, "h1 dns", ""},         // the node named dns
		{"h1 dns", 1, "h1", "dns"},           // -- before it: the protocol
		{"h9 h1:eth7", -1, "h9 h1:eth7", ""}, // targets, for Resolve to refuse
		{"host 10.0.0.1", -1, "", "host 10.0.0.1"},
	} {
		targets, words := splitCapture(l, strings.Fields(tc.args), tc.dash)
		if strings.Join(targets, " ") != tc.targets || strings.Join(words, " ") != tc.words {
			t.Errorf("%q (dash %d): targets %q, filter %q; want %q, %q", tc.args, tc.dash, targets, words, tc.targets, tc.words)
		}
	}
}
