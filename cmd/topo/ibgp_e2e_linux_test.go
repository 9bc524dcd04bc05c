package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// bgpPath is the AS path of a router's best BGP route to a prefix, ""
// when it has none.
func bgpPath(t *testing.T, l *labT, router, family, prefix string) string {
	t.Helper()
	out := l.Must("exec", "--lab", l.Name, router, "--", "vtysh", "-c", "show bgp "+family+" unicast "+prefix+" json").Stdout
	var v struct {
		Paths []struct {
			ASPath struct {
				String string `json:"string"`
			} `json:"aspath"`
			BestPath *struct{} `json:"bestpath"`
		} `json:"paths"`
	}
	json.Unmarshal([]byte(out), &v)
	for _, p := range v.Paths {
		if p.BestPath != nil {
			return p.ASPath.String
		}
	}
	return ""
}

// TestIBGPMeshPassesTransit: in examples/ibgp.yaml, AS 65002's middle
// router speaks no eBGP, yet the far hosts reach each other through
// it, because the iBGP mesh gives every router of the AS the routes its
// edges learn (r2 at its loopback); up waits for those sessions and
// routes, so check passes at once.
func TestIBGPMeshPassesTransit(t *testing.T) {
	l := newLab(t, "ibgp", "")
	l.File = l.WriteRenamed("../../examples/ibgp.yaml")
	r := l.Must("up", l.File)
	if !strings.Contains(r.Stdout, "routing converged in") {
		t.Errorf("up did not say routing converged:\n%s", r.Stdout)
	}
	for _, c := range []struct{ router, prefix, want string }{
		{"a", "10.3.0.0/24", "65002 65003"},
		{"b", "10.1.0.0/24", "65002 65001"},
		{"r2", "10.1.0.0/24", "65001"},
		{"r3", "10.1.0.0/24", "65001"},
	} {
		if got := bgpPath(t, l, c.router, "ipv4", c.prefix); got != c.want {
			t.Errorf("%s's best route to %s has AS path %q, want %q", c.router, c.prefix, got, c.want)
		}
	}
	if out := l.Must("exec", "--lab", l.Name, "r1", "--", "vtysh", "-c", "show bgp ipv4 unicast summary").Stdout; !strings.Contains(out, "10.255.0.2 ") {
		t.Errorf("r1 does not peer with r2's loopback:\n%s", out)
	}
	if r := l.Topo("check", l.Name); r.Code != 0 {
		t.Fatalf("check right after up: %v", r)
	}
}
