package main

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
)

// echoRequestsSeen reads the packets counted by the first rule of the
// input chain that echoLoss made in a node.
func echoRequestsSeen(t *testing.T, l *labT, node string) int {
	t.Helper()
	var out struct {
		Nftables []struct {
			Rule *struct {
				Expr []struct {
					Counter *struct{ Packets int } `json:"counter"`
				} `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	js := e2e.Sh(t, "ip", "netns", "exec", l.NS(node), "nft", "-j", "list", "chain", "inet", "loss", "in")
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("nft -j list in %s: %v\n%s", node, err, js)
	}
	for _, x := range out.Nftables {
		if x.Rule == nil {
			continue
		}
		for _, e := range x.Rule.Expr {
			if e.Counter != nil {
				return e.Counter.Packets
			}
		}
	}
	t.Fatalf("no counter in %s's chain:\n%s", node, js)
	return 0
}

// echoLoss makes node count the echo requests it receives and drop
// those that drop selects (an nft expression, e.g. every other one).
func echoLoss(t *testing.T, l *labT, node, drop string) {
	t.Helper()
	l.Must("exec", "--lab", l.Name, node, "--", "nft", "add table inet loss; add chain inet loss in { type filter hook input priority 0; }; "+
		"add rule inet loss in icmp type echo-request counter; add rule inet loss in icmp type echo-request "+drop+" drop")
}

// TestCheckReachSurvivesALostEcho: an expectation that wants an answer
// is probed again when its echo is lost, as `ping -c 3` would (a lossy
// course link otherwise fails a check now and then); one that must not
// answer is probed once.
func TestCheckReachSurvivesALostEcho(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipping: nft not installed (make test-deps)")
	}
	l := newLab(t, "lost", `hosts: {h1: {}, h2: {}, h3: {}}
links:
  - endpoints: [h1:eth0, h2:eth0]
    addresses: [10.9.0.1/24, 10.9.0.2/24]
  - endpoints: [h1:eth1, h3:eth0]
    addresses: [10.9.1.1/24, 10.9.1.3/24]
expect:
  - {from: h1, to: h2, ttl: 64}
  - {from: h1, to: h3, reach: false}
`)
	l.Up()
	echoLoss(t, l, "h2", "numgen inc mod 2 == 0") // the first of two
	echoLoss(t, l, "h3", "")                      // all of them
	res, code := checkExpectJSON(t, l)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	wantVerdicts(t, res, []verdict{
		{holds: true, why: []string{"reached, ttl 64"}},
		{holds: true, why: []string{"not reached, as expected"}},
	})
	if n := echoRequestsSeen(t, l, "h2"); n != 2 {
		t.Errorf("h2 saw %d echo requests, want 2 (the lost one and the answered one)", n)
	}
	if n := echoRequestsSeen(t, l, "h3"); n != 1 {
		t.Errorf("h3 saw %d echo requests, want 1 (a pair that must not answer is probed once)", n)
	}
}
