package lab

import (
	"strings"
	"testing"

	"github.com/topo-lab/topo/pkg/explain"
	"github.com/topo-lab/topo/pkg/probe"
)

func TestTableFullSince(t *testing.T) {
	before := tableFull{refused4: 10, refused6: 3}
	for _, tc := range []struct {
		name  string
		after tableFull
		full  bool
		want  tableFull
	}{
		{"nothing refused", tableFull{refused4: 10, refused6: 3, max4: 1024}, false, tableFull{max4: 1024}},
		{"IPv4 refused", tableFull{refused4: 14, refused6: 3, max4: 1024}, true, tableFull{refused4: 4, max4: 1024}},
		{"IPv6 refused", tableFull{refused4: 10, refused6: 5, max6: 512}, true, tableFull{refused6: 2, max6: 512}},
		{"counter lower after (unreadable)", tableFull{}, false, tableFull{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := before.since(tc.after)
			if got != tc.want || got.full() != tc.full {
				t.Fatalf("since = %+v (full %v), want %+v (full %v)", got, got.full(), tc.want, tc.full)
			}
		})
	}
}

func TestTableFullSentence(t *testing.T) {
	got := tableFull{refused4: 7, max4: 1024}.sentence("h1")
	for _, want := range []string{"IPv4 (ARP) neighbour table of 1024 entries", "refused 7 new entries", "h1's request", "net.ipv4.neigh.default.gc_thresh3"} {
		if !strings.Contains(got, want) {
			t.Errorf("sentence %q lacks %q", got, want)
		}
	}
	got = tableFull{refused6: 2}.sentence("h2")
	for _, want := range []string{"IPv6 (NDP) neighbour table,", "refused 2", "net.ipv6.neigh.default.gc_thresh3"} {
		if !strings.Contains(got, want) {
			t.Errorf("sentence %q lacks %q", got, want)
		}
	}
}

func TestTableFullBlames(t *testing.T) {
	full, calm := tableFull{refused4: 1}, tableFull{}
	broken := &explain.Path{Broken: &explain.Break{}}
	for _, tc := range []struct {
		name string
		t    tableFull
		r    probe.Result
		want bool
	}{
		{"arp silence while full", full, probe.Result{Reason: probe.ReasonARP}, true},
		{"echo silence while full", full, probe.Result{Reason: probe.ReasonICMP, Path: &explain.Path{}}, true},
		{"table never full", calm, probe.Result{Reason: probe.ReasonARP}, false},
		{"the walk found a broken hop", full, probe.Result{Reason: probe.ReasonARP, Path: broken}, false},
		{"an ICMP error came back", full, probe.Result{Reason: probe.ReasonUnreachable, ICMP: &probe.ICMPError{}}, false},
		{"the probe could not run", full, probe.Result{Reason: probe.ReasonError}, false},
		{"refused on the way out", full, probe.Result{Reason: probe.ReasonFiltered}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.blames(tc.r); got != tc.want {
				t.Fatalf("blames = %v, want %v", got, tc.want)
			}
		})
	}
}
