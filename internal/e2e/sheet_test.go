package e2e

import (
	"reflect"
	"strings"
	"testing"
)

const sampleSheet = "# Lab\n\nText.\n\n```console\n" +
	"# topo up lab.yaml\n" +
	"lab x is up: 2 nodes, 1 links (3 to create, 0 to change, 0 to remove, 0.01s)\n" +
	"# topo capture h2 arp -c 2 --timeout 10s &   # a second terminal\n" +
	"listening on h2:eth0\n" +
	"16:09:00.254756 h2:eth0 < ARP   who-has 10.10.10.100 tell 10.10.10.10\n" +
	"16:09:00.254797 h2:eth0 > ARP   10.10.10.100 is-at da:f1:4f:82:bc:c0\n" +
	"2 frames captured on h2:eth0 (7 seen), 0 dropped by the kernel\n" +
	"# topo exec h1 -- true\n" +
	"\n" +
	"```\n\n```sh\n# not a step\n```\n\n```console\n" +
	"# topo check; echo \"exit $?\"\n" +
	"...\n" +
	"exit 1\n" +
	"```\n"

func TestParseSheet(t *testing.T) {
	s, err := ParseSheet(sampleSheet)
	if err != nil {
		t.Fatal(err)
	}
	want := []SheetStep{
		{Line: 6, Cmd: "topo up lab.yaml", Want: []string{"lab x is up: 2 nodes, 1 links (3 to create, 0 to change, 0 to remove, 0.01s)"}},
		{Line: 8, Cmd: "topo capture h2 arp -c 2 --timeout 10s # a second terminal", Background: true, Want: []string{
			"listening on h2:eth0",
			"16:09:00.254756 h2:eth0 < ARP   who-has 10.10.10.100 tell 10.10.10.10",
			"16:09:00.254797 h2:eth0 > ARP   10.10.10.100 is-at da:f1:4f:82:bc:c0",
			"2 frames captured on h2:eth0 (7 seen), 0 dropped by the kernel"}},
		{Line: 13, Cmd: "topo exec h1 -- true"},
		{Line: 22, Cmd: `topo check; echo "exit $?"`, Want: []string{"...", "exit 1"}, Block: 1},
	}
	if !reflect.DeepEqual(s.Steps, want) {
		t.Errorf("steps:\n%#v\nwant\n%#v", s.Steps, want)
	}
}

func TestParseSheetBad(t *testing.T) {
	for _, tc := range []struct{ desc, text, err string }{
		{"output before any command", "```console\nhello\n```\n", "line 1: a console block starts with a command"},
		{"block not closed", "```console\n# true\n", "line 2: a console block is not closed"},
	} {
		_, err := ParseSheet(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.desc, err, tc.err)
		}
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"16:09:00.254797 h2:eth0 > ARP   10.10.10.100 is-at da:f1:4f:82:bc:c0", "<time> h2:eth0 > ARP 10.10.10.100 is-at <mac>"},
		{"64 bytes from 10.10.10.100: icmp_seq=1 ttl=64 time=0.039 ms", "64 bytes from 10.10.10.100: icmp_seq=1 ttl=64 time=<t>"},
		{"  h2/iperf3  running  147  0s      0         ", "h2/iperf3 running <pid> <t> 0"},
		{"rtt min/avg/max/mdev = 0.039/0.039/0.039/0.000 ms", "rtt min/avg/max/mdev = <t>"},
		{"1 packets transmitted, 1 received, 0% packet loss, time 0ms", "1 packets transmitted, 1 received, 0% packet loss, time <t>"},
		{"eth0@if102       UP             10.10.10.10/24 fe80::54be:3ff:fecf:7858/64 ", "eth0@if<n> UP 10.10.10.10/24 fe80::<iid>/64"},
		{"fe80::/64 dev eth0 proto kernel metric 256", "fe80::/64 dev eth0 proto kernel metric 256"},
		{"ICMP  10.10.10.10 > 10.10.10.100 echo request id 20963 seq 1 ttl 64", "ICMP 10.10.10.10 > 10.10.10.100 echo request id <n> seq 1 ttl 64"},
		{"2 frames captured on h2:eth0 (7 seen), 0 dropped", "2 frames captured on h2:eth0 (<n> seen), 0 dropped"},
		{"r2:eth0           2        10         0", "r2:eth0 2 <n> 0"},
		{"total             4        18         0", "total 4 <n> 0"},
		{"10.0.2.10 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache expires 598sec mtu 1400", "10.0.2.10 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache expires <t> mtu 1400"},
		{"104: s2@if103: <BROADCAST> master br0 state blocking", "<n>: s2@if<n>: <BROADCAST> master br0 state blocking"},
		{"lab switch-loop: up (from /tmp/x/lab.yaml)", "lab switch-loop: up (from <file>)"},
		{"r1:eth1 < TCP   10.0.2.80.80 > 10.0.1.10.53510 [S.] seq 985102377 ack 1669464062 win 65160 len 0 ttl 64", "r1:eth1 < TCP 10.0.2.80.80 > 10.0.1.10.<port> [S.] seq <n> ack <n> win 65160 len 0 ttl 64"},
		{"curl: (28) Connection timed out after 2001 milliseconds", "curl: (28) Connection timed out after <t>"},
		{"lab x is up (0 to remove, 1.08s)", "lab x is up (0 to remove, <t>)"},
		{"ttl 64, 10mbit, mtu 1400", "ttl 64, 10mbit, mtu 1400"},
		{"srv:eth0 < DNS   10.5.0.101.53873 > 10.5.0.1.53 query 0xbd1c A www.course.lab ttl 64", "srv:eth0 < DNS 10.5.0.101.<port> > 10.5.0.1.53 query 0x<id> A www.course.lab ttl 64"},
		{"O>* 10.3.0.0/24 [110/30] via 10.0.12.2, eth1, weight 1, 00:00:03", "O>* 10.3.0.0/24 [110/30] via 10.0.12.2, eth1, weight 1, <age>"},
		{"10.0.12.2       4      65002  00:00:02            2", "10.0.12.2 4 65002 <age> 2"},
		{"10.0.12.2         1 Full/-          1m02s             3.164s 10.0.12.2", "10.0.12.2 1 Full/- <t> <t> 10.0.12.2"},
		{"10.0.34.2         1 Full/-          1.718s             3.475s 10.0.41.1       eth2:10.0.41.2                       1     0     0", "10.0.34.2 1 Full/- <t> <t> 10.0.41.1 eth2:10.0.41.2 <n> <n> <n>"},
		{"      Last update: Mon Nov 30 17:01:33 2026", "Last update: <date>"},
		{"BGP table version is 3, local router ID is 10.0.12.1, vrf id 0", "BGP table version is <n>, local router ID is 10.0.12.1, vrf id <n>"},
		{"BGP routing table entry for 10.1.0.0/24, version 2", "BGP routing table entry for 10.1.0.0/24, version <n>"},
		{"f2:89:72:97:42:88 dev h2-eth0 master br0", "<mac> dev h2-eth0 master br0"},
		{"fd00:1::ff:fe00:110/64", "fd00:1::ff:fe00:110/64"},
		{"[  5]   0.00-5.00   sec  4.25 MBytes  7.13 Mbits/sec   23             sender", "[<n>] <interval> <size> <rate> <n> sender"},
		{"[  5]   0.00-5.43   sec   912 KBytes  1.38 Mbits/sec                  receiver", "[<n>] <interval> <size> <rate> receiver"},
		{"[  5]   0.00-5.00   sec  4.25 MBytes  7.13 Mbits/sec                  sender", "[<n>] <interval> <size> <rate> sender"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatchOutput(t *testing.T) {
	got := []string{"a 0.1 ms", "b", "c", ""}
	for _, tc := range []struct {
		want []string
		ok   bool
	}{
		{[]string{"a 9.9 ms", "b", "c"}, true},
		{[]string{"...", "c"}, true},
		{[]string{"a 1ms", "...", "b", "c"}, true},
		{[]string{"..."}, true},
		{[]string{"a 1ms", "c"}, false},
		{[]string{"a 1ms", "b"}, false},
		{[]string{"a 1ms", "b", "c", "d"}, false},
		{nil, false},
	} {
		ok, diff := MatchOutput(tc.want, got)
		if ok != tc.ok {
			t.Errorf("MatchOutput(%q) = %v, want %v\n%s", tc.want, ok, tc.ok, diff)
		}
		if !ok && !strings.Contains(diff, "the command printed") {
			t.Errorf("MatchOutput(%q): the difference does not show the output:\n%s", tc.want, diff)
		}
	}
	if ok, _ := MatchOutput(nil, []string{"", ""}); !ok {
		t.Error("blank lines do not match an empty output")
	}
}

func TestSheetRewrite(t *testing.T) {
	s, err := ParseSheet(sampleSheet)
	if err != nil {
		t.Fatal(err)
	}
	out := s.Rewrite(map[int][]string{6: {"new up line"}, 13: {"x", ""}})
	r, err := ParseSheet(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Steps[0].Want; !reflect.DeepEqual(got, []string{"new up line"}) {
		t.Errorf("step 1 after Rewrite: %q", got)
	}
	if got := r.Steps[2].Want; !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("step 3 after Rewrite: %q", got)
	}
	if !reflect.DeepEqual(r.Steps[1], s.Steps[1]) || !reflect.DeepEqual(r.Steps[3].Want, s.Steps[3].Want) {
		t.Errorf("Rewrite changed steps it was not given:\n%s", out)
	}
	if !strings.Contains(out, "```sh\n# not a step\n```") {
		t.Errorf("Rewrite lost the text outside console blocks:\n%s", out)
	}
}
