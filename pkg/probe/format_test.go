package probe

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestFormatMatrix(t *testing.T) {
	a := netip.MustParseAddr
	res := []Result{
		{From: "h1", ToNode: "h2", To: a("10.0.0.2"), Reached: true},
		{From: "h1", ToNode: "h2", To: a("fd00::2"), Reason: ReasonICMP},
		{From: "h1", ToNode: "h3", To: a("10.0.0.3"), Reached: true},
		{From: "h2", ToNode: "h1", To: a("10.0.0.1"), Reached: true},
		{From: "h2", ToNode: "h3", To: a("10.0.0.3"), Reason: ReasonNoRoute},
		{From: "h3", To: a("192.0.2.1"), Reason: ReasonARP},
		{From: "h4", ToNode: "h1", To: a("10.0.0.1")}, // failed without reason
	}
	var b strings.Builder
	if err := FormatMatrix(&b, []string{"h1", "h2", "h3"}, res); err != nil {
		t.Fatal(err)
	}
	// h2 is reached from h1 at 10.0.0.2 though not at fd00::2.
	want := `from \ to  h1       h2  h3          192.0.2.1
h1         -        ✓*  ✓           -
h2         ✓        -   ✗ no-route  -
h3         -        -   -           ✗ arp
h4         ✗ error  -   -           -
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	res[4].Why = "h2 has no route to 10.0.0.0/24"
	res[4].ICMP = &ICMPError{From: a("10.0.0.254"), FromNode: "r1", Type: 3}
	b.Reset()
	if err := FormatMissing(&b, res, 3); err != nil {
		t.Fatal(err)
	}
	want = `* h1 → h2 fd00::2 did not answer (the node did, at another address): icmp
✗ h2 → h3 10.0.0.3: h2 has no route to 10.0.0.0/24 [r1 (10.0.0.254): destination net unreachable]
✗ h3 → 192.0.2.1 192.0.2.1: arp
... and 1 more (--json lists all, with each path hop by hop)
`
	if b.String() != want {
		t.Fatalf("missing:\ngot\n%s\nwant\n%s", b.String(), want)
	}
}

// The matrix and --json agree: a cell is reached exactly when one of
// the node's results in the JSON list is.
func TestCellsAgreeWithResults(t *testing.T) {
	a := netip.MustParseAddr
	res := []Result{
		{From: "h1", ToNode: "h2", To: a("10.0.0.2"), Reason: ReasonICMP},
		{From: "h1", ToNode: "h2", To: a("fd00::2"), Reached: true},
		{From: "h1", ToNode: "h3", To: a("10.0.0.3"), Reason: ReasonARP},
		{From: "h1", ToNode: "h3", To: a("fd00::3"), Reason: ReasonICMP},
	}
	js, _ := json.Marshal(res)
	var back []Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range cells(back) {
		any := false
		var missing []netip.Addr
		for _, r := range back {
			if r.From == c.From && r.ToNode == c.To {
				any = any || r.Reached
				if !r.Reached {
					missing = append(missing, r.To)
				}
			}
		}
		var got []netip.Addr
		for _, m := range c.Missing {
			got = append(got, m.To)
		}
		if c.Reached != any || fmt.Sprint(got) != fmt.Sprint(missing) {
			t.Errorf("cell %s → %s: reached %v missing %v; the JSON says %v, %v", c.From, c.To, c.Reached, got, any, missing)
		}
	}
	if cs := cells(back); cs[0].Reason != ReasonICMP || !cs[0].Reached || cs[1].Reason != ReasonARP {
		t.Errorf("cells %+v", cs)
	}
}

func TestSummary(t *testing.T) {
	ok, bad := Result{Reached: true}, Result{Reason: ReasonARP}
	for _, tc := range []struct {
		desc string
		res  []Result
		want string
	}{
		{"none", nil, "*** Results: 0% dropped (0/0 received)"},
		{"all", []Result{ok, ok, ok}, "*** Results: 0% dropped (3/3 received)"},
		{"one of three lost truncates", []Result{ok, ok, bad}, "*** Results: 33% dropped (2/3 received)"},
		{"all lost", []Result{bad, bad}, "*** Results: 100% dropped (0/2 received)"},
	} {
		if got := Summary(tc.res); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.desc, got, tc.want)
		}
	}
	many := make([]Result, 4032)
	for i := range many {
		many[i].Reached = true
	}
	many[0].Reached = false
	if got := Summary(many); got != "*** Results: 0% dropped (4031/4032 received)" {
		t.Errorf("one of 4032 lost: %q", got)
	}
}

func TestPingFormat(t *testing.T) {
	r := PingReply{Seq: 1, From: netip.MustParseAddr("10.0.0.2"), Received: true, TTL: 63, RTT: 52 * time.Microsecond, Size: 64}
	if got, want := FormatPingReply(r), "64 bytes from 10.0.0.2: icmp_seq=1 ttl=63 time=0.052 ms"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	lost := PingReply{Seq: 2, From: r.From, Reason: ReasonICMP}
	if got, want := FormatPingReply(lost), "no answer from 10.0.0.2 for icmp_seq=2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	st := &PingStats{Dst: r.From}
	st.add(r)
	st.add(lost)
	r.RTT = 150 * time.Microsecond
	st.add(r)
	var b strings.Builder
	if err := FormatPingStats(&b, st); err != nil {
		t.Fatal(err)
	}
	want := "--- 10.0.0.2 ping statistics ---\n3 packets transmitted, 2 received, 33.3% packet loss\nrtt min/avg/max = 0.052/0.101/0.150 ms\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	none := &PingStats{Dst: r.From, Reason: ReasonARP}
	b.Reset()
	FormatPingStats(&b, none)
	if !strings.Contains(b.String(), "0 packets transmitted, 0 received, 100% packet loss\nfailed: arp") {
		t.Errorf("got %q", b.String())
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{From: "h1", ToNode: "h2", To: netip.MustParseAddr("10.0.0.2"), Reached: true, RTT: time.Millisecond,
		TTL: 64, Iface: "eth0", NextHop: netip.MustParseAddr("10.0.0.2"), MAC: "02:00:00:00:00:02"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"from":"h1","to_node":"h2","to":"10.0.0.2","reached":true,"rtt_ns":1000000,"ttl":64,"iface":"eth0","next_hop":"10.0.0.2","mac":"02:00:00:00:00:02"}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	b, _ = json.Marshal(Result{From: "h1", To: netip.MustParseAddr("10.0.0.9"), Reason: ReasonNoRoute})
	if string(b) != `{"from":"h1","to":"10.0.0.9","reached":false,"reason":"no-route"}` {
		t.Fatalf("failure JSON: %s", b)
	}
}
