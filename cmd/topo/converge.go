package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/topo-lab/topo/pkg/lab"
	"github.com/topo-lab/topo/pkg/topology"
)

// defaultRoutingWait bounds how long up and link wait for routing to
// converge.
const defaultRoutingWait = 60 * time.Second

// waitRouting waits until every OSPF adjacency is Full, every BGP
// session Established and every route leads where it should, and says
// how long it took; when limit passes first, it names each one that is
// stuck. command is the one that waits ("topo up"), for the hint.
func waitRouting(ctx context.Context, out io.Writer, l *topology.Lab, limit time.Duration, command string) error {
	if !lab.NeedsWait(l) {
		return nil
	}
	if limit <= 0 {
		limit = defaultRoutingWait
	}
	start := time.Now()
	stuck, err := lab.WaitRouting(ctx, l, limit)
	if err != nil {
		return err
	}
	if len(stuck) > 0 {
		what := "routing has not converged"
		if !l.NeedsFRR() {
			what = "its clients do not hold every address"
		}
		return fmt.Errorf("lab %s: %s after %s:\n  %s\n(`%s --wait DURATION` waits longer%s)", l.Name, what, limit.Round(100*time.Millisecond), joinStuck(stuck), command, logHint(stuck))
	}
	what := "routing converged"
	if !l.NeedsFRR() {
		what = addressesCame(l)
	}
	fmt.Fprintf(out, "%s in %.1fs\n", what, time.Since(start).Seconds())
	return nil
}

// addressesCame says how a lab's dynamic addresses came: "addresses
// leased" (DHCP, DHCPv6), "addresses made from router advertisements"
// (SLAAC), or both.
func addressesCame(l *topology.Lab) string {
	var leased, slaac bool
	for _, lk := range l.Links {
		for _, e := range lk.Ends {
			for _, d := range e.Dynamic {
				if d == topology.DynSLAAC {
					slaac = true
				} else {
					leased = true
				}
			}
		}
	}
	switch {
	case leased && slaac:
		return "addresses leased and made from router advertisements"
	case slaac:
		return "addresses made from router advertisements"
	}
	return "addresses leased"
}

// daemonOf is the FRR daemon that keeps each kind of session.
var daemonOf = map[string]string{"ospf": "ospfd", "ospf6": "ospf6d", "bgp": "bgpd"}

// logHint names the log to read for what is stuck: the daemon of the
// first adjacency or session that is ("; `topo logs r2/bgpd` shows
// its log"), else the logs of the first router missing a route, else
// nothing (a missing lease names its client's log itself).
func logHint(stuck []lab.Stuck) string {
	for _, s := range stuck {
		if d, ok := daemonOf[s.Proto]; ok {
			return fmt.Sprintf("; `topo logs %s/%s` shows its log", s.Router, d)
		}
	}
	for _, s := range stuck {
		if s.Proto == "route" || s.Proto == "path" {
			return fmt.Sprintf("; `topo logs %s` shows its daemons' logs", s.Router)
		}
	}
	return ""
}

func joinStuck(stuck []lab.Stuck) string {
	var lines []string
	for _, s := range stuck {
		lines = append(lines, s.String())
	}
	return strings.Join(lines, "\n  ")
}

// routingConverged is nil unless the lab's routing is not yet up: then
// check would report failures that are only convergence.
func routingConverged(ctx context.Context, l *topology.Lab) error {
	if !lab.NeedsWait(l) {
		return nil
	}
	stuck, err := lab.RoutingState(ctx, l)
	if err != nil {
		return err
	}
	if len(stuck) > 0 {
		what := "routing has not converged yet"
		if !l.NeedsFRR() {
			what = "its clients do not hold every address yet"
		}
		return fmt.Errorf("lab %s: %s, so probes would fail for that alone:\n  %s\n(wait and check again; `topo up` waits for it)", l.Name, what, joinStuck(stuck))
	}
	return nil
}
