package main

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/gen"
	"github.com/topo-lab/topo/pkg/topology"
)

func TestLargeLANWarning(t *testing.T) {
	data, err := gen.Generate("tree", []int{2, 8}, gen.Options{Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := topology.Parse("w.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	why := "Linux 5.10.0 queues every frame a switch floods on the input backlog"
	if msg := largeLANWarning(l, 1000, why); msg != "" {
		t.Errorf("64 hosts, backlog 1000: warned %q", msg)
	}
	if msg := largeLANWarning(l, 146, why); msg != "" {
		t.Errorf("73 copies, backlog 146: warned %q", msg)
	}
	msg := largeLANWarning(l, 145, why)
	for _, want := range []string{"s1, s2, s3 and 6 more", "64 hosts", "netdev_max_backlog = 145", why, "sysctl -w net.core.netdev_max_backlog=146"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}
}

func TestNeighbourTableWarning(t *testing.T) {
	if msg := neighbourTableWarning(1024, 1024); msg != "" {
		t.Errorf("1024 entries in a table of 1024: warned %q", msg)
	}
	msg := neighbourTableWarning(4032, 1024)
	for _, want := range []string{"up to 4032 neighbour entries", "gc_thresh3 = 1024", "sysctl -w net.ipv4.neigh.default.gc_thresh2=N"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}
}
