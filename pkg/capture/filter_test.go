package capture

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// labHosts resolves node names as a lab would: h1 and h2 of the seed
// exercise.
func labHosts(name string) ([]netip.Addr, bool) {
	switch name {
	case "h1":
		return []netip.Addr{netip.MustParseAddr("10.10.10.10")}, true
	case "h2":
		return []netip.Addr{netip.MustParseAddr("10.10.10.100"), netip.MustParseAddr("fd00::2")}, true
	}
	return nil, false
}

// fuzzFilters are applied to every frame FuzzDecode makes up.
var fuzzFilters = func() []*Filter {
	var out []*Filter
	for _, s := range []string{"arp or icmp", "not tcp and port 53", "host 10.10.10.10 or net fd00::/64", "dns or dhcp or dhcp6 or ospf or bgp", "src port 1 and dst host 10.0.0.1"} {
		f, err := ParseFilter(strings.Fields(s), nil)
		if err != nil {
			panic(err)
		}
		out = append(out, f)
	}
	return out
}()

func TestFilterMatch(t *testing.T) {
	var (
		arpReq  = arpFrame(t, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2)
		echo    = echoFrame(t, layers.ICMPv4TypeEchoRequest, ip1, ip2, 7, 1)
		echo6   = icmp6Frame(t, layers.ICMPv6TypeEchoRequest, 0, ip61, ip62, []byte{0, 1, 0, 1})
		dnsQ    = udpFrame(t, ip1, ip2, 40000, 53, nil)
		mdns    = udpFrame(t, ip1, ip2, 5353, 5353, nil)
		dhcp    = udpFrame(t, net.IPv4zero, net.IPv4bcast, 68, 67, nil)
		dhcp6   = udpFrame(t, ip61, ip62, 546, 547, nil)
		syn     = tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 40000, DstPort: 80, SYN: true}, nil)
		bgp     = tcpFrame(t, ip2, ip1, &layers.TCP{SrcPort: 179, DstPort: 40000, ACK: true}, nil)
		ospf    = build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(ip1, ip2, protoOSPF))
		tcpDNS  = tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 40000, DstPort: 53, SYN: true}, nil)
		udp6    = udpFrame(t, ip61, ip62, 1000, 2000, nil)
		allKind = map[string][]byte{"arp": arpReq, "echo": echo, "echo6": echo6, "dns": dnsQ, "mdns": mdns, "dhcp": dhcp,
			"dhcp6": dhcp6, "syn": syn, "bgp": bgp, "ospf": ospf, "tcpdns": tcpDNS, "udp6": udp6}
	)
	tests := []struct {
		filter string
		want   []string // the frames of allKind it selects
	}{
		{"", []string{"arp", "echo", "echo6", "dns", "mdns", "dhcp", "dhcp6", "syn", "bgp", "ospf", "tcpdns", "udp6"}},
		{"arp", []string{"arp"}},
		{"ip", []string{"echo", "dns", "mdns", "dhcp", "syn", "bgp", "ospf", "tcpdns"}},
		{"ip6", []string{"echo6", "dhcp6", "udp6"}},
		{"icmp", []string{"echo"}},
		{"icmp6", []string{"echo6"}},
		{"tcp", []string{"syn", "bgp", "tcpdns"}},
		{"udp", []string{"dns", "mdns", "dhcp", "dhcp6", "udp6"}},
		{"dns", []string{"dns", "mdns", "tcpdns"}},
		{"dhcp", []string{"dhcp"}},
		{"dhcp6", []string{"dhcp6"}},
		{"ospf", []string{"ospf"}},
		{"bgp", []string{"bgp"}},
		{"port 53", []string{"dns", "tcpdns"}},
		{"udp port 53", []string{"dns"}},
		{"tcp and port 53", []string{"tcpdns"}},
		{"src port 179", []string{"bgp"}},
		{"dst port 179", nil},
		{"not arp", []string{"echo", "echo6", "dns", "mdns", "dhcp", "dhcp6", "syn", "bgp", "ospf", "tcpdns", "udp6"}},
		{"arp or icmp", []string{"arp", "echo"}},
		{"arp || icmp || icmp6", []string{"arp", "echo", "echo6"}},
		{"!(arp||ip)", []string{"echo6", "dhcp6", "udp6"}},
		{"not (ip or ip6)", []string{"arp"}},
		{"host 10.10.10.100", []string{"arp", "echo", "dns", "mdns", "syn", "bgp", "ospf", "tcpdns"}},
		{"src host 10.10.10.100", []string{"bgp"}},
		{"dst host 10.10.10.100 and icmp", []string{"echo"}},
		{"host h1 and not arp", []string{"echo", "dns", "mdns", "syn", "bgp", "ospf", "tcpdns"}},
		{"host h2 and ip6", []string{"echo6", "dhcp6", "udp6"}},
		{"net fd00::/64", []string{"echo6", "dhcp6", "udp6"}},
		{"icmp or arp and host 10.10.10.10", []string{"arp", "echo"}},
		{"(icmp or arp) and not src host 10.10.10.10", nil},
		{"ARP", []string{"arp"}},
	}
	for _, tc := range tests {
		f, err := ParseFilter(strings.Fields(tc.filter), labHosts)
		if err != nil {
			t.Errorf("%q: %v", tc.filter, err)
			continue
		}
		m := f.Matcher()
		var got []string
		for _, name := range []string{"arp", "echo", "echo6", "dns", "mdns", "dhcp", "dhcp6", "syn", "bgp", "ospf", "tcpdns", "udp6"} {
			if m(allKind[name]) {
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q selects %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	tests := []struct {
		filter  string
		col     int
		msg     string // part of the message
		allowed string // one of the allowed words
	}{
		{"arpp", 1, `unknown word "arpp" (did you mean "arp"?)`, "icmp"},
		{"arp andd icmp", 5, `unknown word "andd" (did you mean "and"?)`, "arp"},
		{"arp and", 9, `"and" needs something after it`, "icmp"},
		{"not", 5, `"not" needs something after it`, "arp"},
		{"or arp", 1, `"or" needs an expression before it`, "arp"},
		{"port http", 6, `"port" needs a port number 0-65535, not "http"`, "a port number"},
		{"port 70000", 6, `port number 0-65535, not "70000"`, ""},
		{"port", 6, `"port" needs a port number`, ""},
		{"host nowhere", 6, `"nowhere" is neither an address nor a node of the lab`, "a node name"},
		{"host", 6, `"host" needs an address or a node name`, ""},
		{"net 10.0.0.0", 5, `"net" needs an address prefix`, ""},
		{"src 10.0.0.1", 5, `"src" needs host, net or port after it`, "port"},
		{"(arp or icmp", 14, `the "(" at column 1 is not closed`, ")"},
		{"arp)", 4, `")" closes no "("`, "or"},
		{"(arp icmp6 x)", 12, `unknown word "x"`, ""},
		{"arp ( )", 7, `")" needs an expression before it`, ""},
	}
	for _, tc := range tests {
		_, err := ParseFilter(strings.Fields(tc.filter), labHosts)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a *FilterError", tc.filter, err)
			continue
		}
		if fe.Col != tc.col || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%q: column %d %q, want column %d %q", tc.filter, fe.Col, fe.Msg, tc.col, tc.msg)
		}
		if tc.allowed != "" && !strings.Contains(strings.Join(fe.Allowed, ", "), tc.allowed) {
			t.Errorf("%q: allowed %v lacks %q", tc.filter, fe.Allowed, tc.allowed)
		}
	}
}

// TestFilterErrorText checks the caret lands under the problem.
func TestFilterErrorText(t *testing.T) {
	_, err := ParseFilter([]string{"arp", "andd", "icmp"}, nil)
	want := "invalid filter at column 5: unknown word \"andd\" (did you mean \"and\"?)\n" +
		"  arp andd icmp\n" +
		"      ^\n" +
		"allowed here: arp, ip, ip6, icmp, icmp6, tcp, udp, dns, dhcp, dhcp6, ospf, bgp, host, net, port, src, dst, not, ("
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// FuzzFilter parses arbitrary filters: never a panic, and every error
// points into (or just past) the text.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"arp", "not (tcp port 80 or udp)", "src host 10.0.0.1 && !icmp6", "net fd00::/8 || dst port 53", "((arp)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFilter(strings.Fields(s), labHosts)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: %v is not a *FilterError", s, err)
			}
			if fe.Col < 1 || fe.Col > len(fe.Filter)+2 {
				t.Fatalf("%q: column %d outside the filter %q", s, fe.Col, fe.Filter)
			}
			return
		}
		fl.Matcher()(echoFrame(t, layers.ICMPv4TypeEchoRequest, ip1, ip2, 1, 1))
	})
}

// TestNilFilter: no filter (Options.Filter nil) keeps every frame and
// has no text, rather than crashing the capture that asks.
func TestNilFilter(t *testing.T) {
	var f *Filter
	if f.String() != "" || !f.Matcher()([]byte{1, 2, 3}) {
		t.Error("a nil filter must have no text and keep every frame")
	}
}
