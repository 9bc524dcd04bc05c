package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/pkg/probe"
)

// checkPair runs `topo check --all --json` and returns the result of
// the pair from -> to.
func checkPair(t *testing.T, l *labT, from, to string) probe.Result {
	t.Helper()
	r := l.Topo("check", l.Name, "--all", "--json")
	var res []probe.Result
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("check --json: %v\n%v", err, r)
	}
	for _, x := range res {
		if x.From == from && x.To.String() == to {
			return x
		}
	}
	t.Fatalf("no result for %s -> %s in\n%s", from, to, r.Stdout)
	return probe.Result{}
}

// TestCheckExplainsBrokenHop breaks the chain lab one way at a time and
// wants check's sentence for h1 -> h2, and ping's the same.
func TestCheckExplainsBrokenHop(t *testing.T) {
	l := newLab(t, "why", routedLab)
	l.Up()
	sh := func(t *testing.T, args ...string) { e2e.Sh(t, args[0], args[1:]...) }
	in := func(node string, args ...string) []string {
		return append([]string{"ip", "netns", "exec", l.NS(node)}, args...)
	}
	r1mac := ifaces(t, l.NS("r1"))["eth0"].MAC
	needNft := func(t *testing.T) {
		if _, err := exec.LookPath("nft"); err != nil {
			t.Skip("skipping: nft not installed (make test-deps)")
		}
	}
	for _, tc := range []struct {
		desc         string
		needs        func(*testing.T)
		break_, mend [][]string
		topoBreak    []string
		topoMend     []string
		want         string
		wantReason   probe.Reason
	}{
		{desc: "own link down", topoBreak: []string{"link", "--lab", l.Name, "h1:eth0", "down"}, topoMend: []string{"link", "--lab", l.Name, "h1:eth0", "up"},
			want: "h1:eth0 is down (topo link or state: down)", wantReason: probe.ReasonNoRoute},
		{desc: "router's link down", topoBreak: []string{"link", "--lab", l.Name, "r1:eth1", "down"}, topoMend: []string{"link", "--lab", l.Name, "r1:eth1", "up"},
			want: "r1:eth1 is down (topo link or state: down)"},
		{desc: "no forward route", break_: [][]string{{"ip", "-n", l.NS("r1"), "route", "del", "10.1.3.0/24"}}, mend: [][]string{{"ip", "-n", l.NS("r1"), "route", "add", "10.1.3.0/24", "via", "10.1.2.2"}},
			// r1's "net unreachable" may come or not: see routeErrors.
			want: "r1 has no route to 10.1.3.0/24"},
		{desc: "no return route", break_: [][]string{{"ip", "-n", l.NS("r2"), "route", "del", "10.1.1.0/24"}}, mend: [][]string{{"ip", "-n", l.NS("r2"), "route", "add", "10.1.1.0/24", "via", "10.1.2.1"}},
			want: "r2 has no route back to 10.1.1.0/24: the echo arrived but the reply was lost", wantReason: probe.ReasonICMP},
		{desc: "no forwarding", break_: [][]string{in("r1", "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0")},
			mend: [][]string{in("r1", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")},
			want: "r1 does not forward (forward: false)"},
		{desc: "echo ignored", break_: [][]string{in("h2", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")}, mend: [][]string{in("h2", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0")},
			want: "h2 ignores echo requests (net.ipv4.icmp_echo_ignore_all = 1)", wantReason: probe.ReasonICMP},
		{desc: "wrong static neighbour", break_: [][]string{{"ip", "-n", l.NS("h1"), "neigh", "replace", "10.1.1.1", "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "permanent"}},
			mend:       [][]string{{"ip", "-n", l.NS("h1"), "neigh", "del", "10.1.1.1", "dev", "eth0"}},
			want:       fmt.Sprintf("h1's neighbour entry for 10.1.1.1 says 02:00:00:00:00:99 (permanent), but 10.1.1.1 is at %s (r1:eth0): the frames go to a MAC nobody has (fix or delete it: ip neigh del 10.1.1.1 dev eth0)", r1mac),
			wantReason: probe.ReasonICMP},
		{desc: "firewall on the router", needs: needNft,
			break_: [][]string{in("r1", "nft", "add table inet t; add chain inet t c { type filter hook forward priority 0; }; add rule inet t c icmp type echo-request drop")},
			mend:   [][]string{in("r1", "nft", "delete table inet t")},
			want:   "r1's firewall may drop the request: nftables chain inet t c (hook forward) has a drop rule", wantReason: probe.ReasonICMP},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.needs != nil {
				tc.needs(t)
			}
			l := &labT{l.In(t)}
			for _, c := range tc.break_ {
				sh(t, c...)
			}
			if tc.topoBreak != nil {
				l.Must(tc.topoBreak...)
			}
			defer func() {
				for _, c := range tc.mend {
					sh(t, c...)
				}
				if tc.topoMend != nil {
					l.Must(tc.topoMend...)
				}
			}()
			r := checkPair(t, l, "h1", "10.1.3.10")
			if r.Reached || r.Why != tc.want || r.Path == nil || r.Path.Broken == nil {
				js, _ := json.MarshalIndent(r, "", "  ")
				t.Fatalf("h1 -> h2: why %q\nwant %q\n%s", r.Why, tc.want, js)
			}
			if tc.wantReason != "" && r.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q (%s)", r.Reason, tc.wantReason, r.Error)
			}
			p := l.Topo("ping", "--lab", l.Name, "h1", "h2", "-c1", "-W", "0.5s")
			if p.Code == 0 || !strings.Contains(p.Stdout, "why: "+tc.want+"\n") {
				t.Errorf("ping: want \"why: %s\"\n%v", tc.want, p)
			}
		})
	}
	t.Run("whole path works again, hop by hop", func(t *testing.T) {
		l := &labT{l.In(t)}
		l.Must("check", l.Name)
		l.Must("ping", "--lab", l.Name, "h1", "h1", "-c1")
		l.Must("ping", "--lab", l.Name, "h1", "127.0.0.1", "-c1")
		l.Must("ping", "--lab", l.Name, "h1", "10.1.1.10", "-c1")
	})
	t.Run("an ICMP error says who sent it", func(t *testing.T) {
		l := &labT{l.In(t)}
		p := routeErrors(l, "From r1 (10.1.1.1) icmp_seq=1: destination net unreachable\n", "ping", "--lab", l.Name, "h1", "10.1.9.9", "-c1")
		if p.Code == 0 || !strings.Contains(p.Stdout, "From r1 (10.1.1.1) icmp_seq=1: destination net unreachable\n") ||
			!strings.Contains(p.Stdout, "why: r1 has no route to 10.1.9.9\n") {
			t.Errorf("ping 10.1.9.9: want r1's net unreachable\n%v", p)
		}
		// A loop: the request bounces between r1 and r2 until its TTL
		// runs out at r2 (h1 sends 64; r2 gets it with 1 on the 32nd
		// round).
		sh(t, "ip", "-n", l.NS("r1"), "route", "add", "10.9.0.0/16", "via", "10.1.2.2")
		sh(t, "ip", "-n", l.NS("r2"), "route", "add", "10.9.0.0/16", "via", "10.1.2.1")
		defer sh(t, "ip", "-n", l.NS("r1"), "route", "del", "10.9.0.0/16")
		defer sh(t, "ip", "-n", l.NS("r2"), "route", "del", "10.9.0.0/16")
		p = l.Topo("ping", "--lab", l.Name, "h1", "10.9.9.9", "-c1")
		if p.Code == 0 || !strings.Contains(p.Stdout, "From r2 (10.1.2.2) icmp_seq=1: time to live exceeded (a routing loop, or too many hops)\n") ||
			!strings.Contains(p.Stdout, "why: the packet loops: r1 gets it back on eth1 (r1 → r2 → r1)\n") {
			t.Errorf("ping 10.9.9.9 through a loop: want r2's time exceeded and the loop\n%v", p)
		}
	})
	t.Run("a mistyped lab name gets a suggestion on every command", func(t *testing.T) {
		l := &labT{l.In(t)}
		typo := l.Name[:len(l.Name)-1]
		want := fmt.Sprintf("lab %s is not up: did you mean %q?", typo, l.Name)
		for _, args := range [][]string{
			{"check", typo}, {"status", typo}, {"ping", "--lab", typo, "h1", "h2"}, {"arp", "--lab", typo, "h1", "h2"},
			{"exec", "--lab", typo, "h1", "--", "true"}, {"link", "--lab", typo, "h1:eth0", "down"},
			{"impair", "--lab", typo, "h1:eth0", "--clear"}, {"reset", typo},
		} {
			if r := l.Topo(args...); r.Code == 0 || !strings.Contains(r.Stderr, want) {
				t.Errorf("want %q\n%v", want, r)
			}
		}
		if r := l.Topo("down", typo); r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("want %q\n%v", want, r)
		}
	})
}

// routeErrors runs topo until its output holds want, a router's "net
// unreachable", at most eight times. A router sends those through a
// budget of its own per source host (ip_error: five at once, then one a
// second; net.ipv4.route.error_burst and error_cost, which only the
// root namespace has), which the earlier subtests spend; each run that
// gets none waits out its timeout, in which the budget grows back.
func routeErrors(l *labT, want string, args ...string) e2e.Result {
	l.T.Helper()
	var r e2e.Result
	for range 8 {
		if r = l.Topo(args...); strings.Contains(r.Stdout, want) {
			break
		}
	}
	return r
}
