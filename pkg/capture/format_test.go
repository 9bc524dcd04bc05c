package capture

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestSummary(t *testing.T) {
	ns := make([]byte, 20)
	copy(ns[4:], ip62)
	na := make([]byte, 28)
	na[0] = 0x60 // solicited, override
	copy(na[4:], ip62)
	na[20], na[21] = 2, 1 // target link-layer address option
	copy(na[22:], mac2)
	ra := make([]byte, 12+32)
	ra[0], ra[2], ra[3] = 64, 0x07, 0x08 // hop limit 64, lifetime 1800
	ra[12], ra[13], ra[14] = 3, 4, 64    // prefix information, fd00::/64
	copy(ra[12+16:], net.ParseIP("fd00::"))
	// An ICMP error quotes the IP header and 8 bytes of what caused it.
	quoted := build(t, ip4(ip1, ip2, layers.IPProtocolUDP), &layers.UDP{SrcPort: 40000, DstPort: 33434})
	quoted6 := append(make([]byte, 4), build(t, ip6(ip61, ip62, layers.IPProtocolUDP, 1), &layers.UDP{SrcPort: 40000, DstPort: 33434})...)
	dnsQuery := serialize(t, &layers.DNS{ID: 0x1a2b, RD: true, QDCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte("h2.lab"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}})
	dnsReply := serialize(t, &layers.DNS{ID: 0x1a2b, QR: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte("h2.lab"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: []byte("h2.lab"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: ip2}}})
	dnsNX := serialize(t, &layers.DNS{ID: 7, QR: true, ResponseCode: layers.DNSResponseCodeNXDomain, QDCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte("nope.lab"), Type: layers.DNSTypeAAAA, Class: layers.DNSClassIN}}})
	dhcpDiscover := serialize(t, &layers.DHCPv4{Operation: layers.DHCPOpRequest, HardwareType: layers.LinkTypeEthernet,
		HardwareLen: 6, Xid: 0xdeadbeef, ClientHWAddr: mac1,
		Options: []layers.DHCPOption{layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeDiscover)})}})
	dhcpOffer := serialize(t, &layers.DHCPv4{Operation: layers.DHCPOpReply, HardwareType: layers.LinkTypeEthernet,
		HardwareLen: 6, Xid: 0xdeadbeef, ClientHWAddr: mac1, YourClientIP: ip2,
		Options: []layers.DHCPOption{layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeOffer)})}})
	dhcp6Solicit := serialize(t, &layers.DHCPv6{MsgType: layers.DHCPv6MsgTypeSolicit, TransactionID: []byte{0x12, 0x34, 0x56}})
	ospfHello := []byte{2, 1, 0, 44, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	bgpKeepalive := append(append([]byte(nil), bgpMarker...), 0, 19, 4)
	bgpOpen := append(append([]byte(nil), bgpMarker...), 0, 29, 1, 4, 0xfd, 0xe8, 0, 90, 1, 1, 1, 1, 0)
	mldv2 := []byte{0, 0, 0, 2}
	hopByHop := build(t, eth(mac1, mac2, layers.EthernetTypeIPv6),
		ip6(net.ParseIP("fe80::1"), net.ParseIP("ff02::16"), layers.IPProtocolIPv6HopByHop, 1),
		gopacket.Payload(append([]byte{58, 0, 5, 2, 0, 0, 1, 0}, append([]byte{143, 0, 0, 0}, mldv2...)...)))
	stp := append([]byte{0x42, 0x42, 0x03, 0, 0, 0, 0, 0}, make([]byte, 31)...)
	binary.BigEndian.PutUint16(stp[8:], 0x8000)
	copy(stp[10:], mac1)
	binary.BigEndian.PutUint32(stp[16:], 4)
	binary.BigEndian.PutUint16(stp[20:], 0x8000)
	copy(stp[22:], mac2)
	binary.BigEndian.PutUint16(stp[28:], 0x8002)
	stpFrame := append(append(append([]byte(nil), bcast...), mac1...), byte(len(stp)>>8), byte(len(stp)))
	stpFrame = append(stpFrame, stp...)

	tests := []struct {
		desc  string
		frame []byte
		want  string
	}{
		{"arp request", arpFrame(t, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2),
			"ARP   who-has 10.10.10.100 tell 10.10.10.10"},
		{"arp reply", arpFrame(t, layers.ARPReply, mac2, ip2, mac1, ip1),
			"ARP   10.10.10.100 is-at 02:00:00:00:00:02"},
		{"gratuitous arp", arpFrame(t, layers.ARPRequest, mac1, ip1, bcast, ip1),
			"ARP   who-has 10.10.10.10 tell 10.10.10.10 (gratuitous)"},
		{"arp probe", arpFrame(t, layers.ARPRequest, mac1, net.IPv4zero, bcast, ip1),
			"ARP   who-has 10.10.10.10 tell 0.0.0.0 (probe)"},
		{"echo request", echoFrame(t, layers.ICMPv4TypeEchoRequest, ip1, ip2, 7, 1),
			"ICMP  10.10.10.10 > 10.10.10.100 echo request id 7 seq 1 ttl 64"},
		{"echo reply", echoFrame(t, layers.ICMPv4TypeEchoReply, ip2, ip1, 7, 1),
			"ICMP  10.10.10.100 > 10.10.10.10 echo reply id 7 seq 1 ttl 64"},
		{"port unreachable", build(t, eth(mac2, mac1, layers.EthernetTypeIPv4), ip4(ip2, ip1, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
			gopacket.Payload(quoted)),
			"ICMP  10.10.10.100 > 10.10.10.10 unreachable port for udp 10.10.10.100.33434 ttl 64"},
		{"need frag", build(t, eth(mac2, mac1, layers.EthernetTypeIPv4), ip4(ip2, ip1, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeFragmentationNeeded), Seq: 1400},
			gopacket.Payload(quoted)),
			"ICMP  10.10.10.100 > 10.10.10.10 unreachable need-frag mtu 1400 for udp 10.10.10.100.33434 ttl 64"},
		{"time exceeded", build(t, eth(mac2, mac1, layers.EthernetTypeIPv4), ip4(ip2, ip1, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeTimeExceeded, layers.ICMPv4CodeTTLExceeded)},
			gopacket.Payload(quoted)),
			"ICMP  10.10.10.100 > 10.10.10.10 time exceeded in-transit for udp 10.10.10.100.33434 ttl 64"},
		{"icmp6 echo", icmp6Frame(t, layers.ICMPv6TypeEchoRequest, 0, ip61, ip62, []byte{0, 9, 0, 3, 'x'}),
			"ICMP6 fd00::1 > fd00::2 echo request id 9 seq 3 hlim 255"},
		{"neighbor solicitation", icmp6Frame(t, layers.ICMPv6TypeNeighborSolicitation, 0, ip61, net.ParseIP("ff02::1:ff00:2"), ns),
			"ICMP6 fd00::1 > ff02::1:ff00:2 neighbor solicitation who-has fd00::2 hlim 255"},
		{"neighbor advertisement", icmp6Frame(t, layers.ICMPv6TypeNeighborAdvertisement, 0, ip62, ip61, na),
			"ICMP6 fd00::2 > fd00::1 neighbor advertisement fd00::2 is-at 02:00:00:00:00:02 [SO] hlim 255"},
		{"router advertisement", icmp6Frame(t, layers.ICMPv6TypeRouterAdvertisement, 0, net.ParseIP("fe80::1"), net.ParseIP("ff02::1"), ra),
			"ICMP6 fe80::1 > ff02::1 router advertisement hlim 64 lifetime 1800s prefix fd00::/64 hlim 255"},
		{"icmp6 unreachable", icmp6Frame(t, layers.ICMPv6TypeDestinationUnreachable, 4, ip62, ip61, quoted6),
			"ICMP6 fd00::2 > fd00::1 unreachable port for udp fd00::2.33434 hlim 255"},
		{"packet too big", icmp6Frame(t, layers.ICMPv6TypePacketTooBig, 0, ip62, ip61, append([]byte{0, 0, 5, 0}, quoted6[4:]...)),
			"ICMP6 fd00::2 > fd00::1 packet too big mtu 1280 for udp fd00::2.33434 hlim 255"},
		{"mld report behind hop-by-hop", hopByHop,
			"ICMP6 fe80::1 > ff02::16 multicast listener report v2 2 groups hlim 1"},
		{"tcp syn", tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 40000, DstPort: 5201, Seq: 1000, SYN: true, Window: 64240}, nil),
			"TCP   10.10.10.10.40000 > 10.10.10.100.5201 [S] seq 1000 win 64240 len 0 ttl 64"},
		{"tcp data", tcpFrame(t, ip2, ip1, &layers.TCP{SrcPort: 5201, DstPort: 40000, Seq: 5, Ack: 1001, PSH: true, ACK: true, Window: 502}, []byte("hello")),
			"TCP   10.10.10.100.5201 > 10.10.10.10.40000 [P.] seq 5 ack 1001 win 502 len 5 ttl 64"},
		{"udp", udpFrame(t, ip1, ip2, 40000, 9, []byte("abc")),
			"UDP   10.10.10.10.40000 > 10.10.10.100.9 len 3 ttl 64"},
		{"dns query", udpFrame(t, ip1, ip2, 40000, 53, dnsQuery),
			"DNS   10.10.10.10.40000 > 10.10.10.100.53 query 0x1a2b A h2.lab ttl 64"},
		{"dns answer", udpFrame(t, ip2, ip1, 53, 40000, dnsReply),
			"DNS   10.10.10.100.53 > 10.10.10.10.40000 response 0x1a2b A h2.lab: 10.10.10.100 ttl 64"},
		{"dns error", udpFrame(t, ip2, ip1, 53, 40000, dnsNX),
			"DNS   10.10.10.100.53 > 10.10.10.10.40000 response 0x0007 AAAA nope.lab Non-Existent Domain ttl 64"},
		{"dhcp discover", udpFrame(t, net.IPv4zero, net.IPv4bcast, 68, 67, dhcpDiscover),
			"DHCP  0.0.0.0.68 > 255.255.255.255.67 Discover xid 0xdeadbeef client 02:00:00:00:00:01 ttl 64"},
		{"dhcp offer", udpFrame(t, ip2, ip1, 67, 68, dhcpOffer),
			"DHCP  10.10.10.100.67 > 10.10.10.10.68 Offer 10.10.10.100 xid 0xdeadbeef client 02:00:00:00:00:01 ttl 64"},
		{"dhcp6 solicit", udpFrame(t, net.ParseIP("fe80::1"), net.ParseIP("ff02::1:2"), 546, 547, dhcp6Solicit),
			"DHCP6 fe80::1.546 > ff02::1:2.547 Solicit xid 0x123456 hlim 64"},
		{"ospf hello", build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(ip1, net.IP{224, 0, 0, 5}, protoOSPF), gopacket.Payload(ospfHello)),
			"OSPF  10.10.10.10 > 224.0.0.5 v2 Hello router 1.1.1.1 area 0.0.0.0 ttl 64"},
		{"bgp", tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 179, DstPort: 40000, Seq: 1, Ack: 1, PSH: true, ACK: true}, append(bgpOpen, bgpKeepalive...)),
			"BGP   10.10.10.10.179 > 10.10.10.100.40000 OPEN, KEEPALIVE len 48 ttl 64"},
		{"other ip protocol", build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(ip1, ip2, layers.IPProtocolGRE), gopacket.Payload([]byte{0, 0, 8, 0})),
			"IP    10.10.10.10 > 10.10.10.100 proto 47 len 4 ttl 64"},
		{"fragment", build(t, eth(mac1, mac2, layers.EthernetTypeIPv4),
			&layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ip1, DstIP: ip2, Id: 99, FragOffset: 185},
			gopacket.Payload(make([]byte, 100))),
			"IP    10.10.10.10 > 10.10.10.100 fragment id 99 offset 1480 proto 17 len 100 ttl 64"},
		{"stp", stpFrame,
			"STP   config root 32768/02:00:00:00:00:01 cost 4 bridge 32768/02:00:00:00:00:02 port 0x8002"},
		{"lldp", build(t, eth(mac1, bcast, layers.EthernetType(0x88cc)), gopacket.Payload(make([]byte, 46))),
			"ETHER type 0x88cc len 60"},
		{"truncated tcp", tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 1, DstPort: 2, SYN: true}, nil)[:40],
			"IP    10.10.10.10 > 10.10.10.100 proto 6 len 6 ttl 64 [|tcp]"},
		{"truncated ethernet", []byte{1, 2, 3}, "frame of 3 bytes [|ether]"},
	}
	var f Formatter
	for _, tc := range tests {
		if got := f.summaryOf(tc.frame); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.desc, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	at := time.Date(2026, 5, 1, 15, 4, 5, 123456789, time.UTC)
	f := Formatter{Location: time.UTC}
	f.SetLabel(0, "h2:eth0")
	f.SetLabel(1, "r1:eth10")
	req := arpFrame(t, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2)
	got := string(f.Append(nil, &Frame{Time: at, Iface: 0, Dir: In, Len: len(req), Data: req}))
	want := "15:04:05.123456 h2:eth0  < ARP   who-has 10.10.10.100 tell 10.10.10.10\n"
	if got != want {
		t.Errorf("line:\n got %q\nwant %q", got, want)
	}
	f.Ether = true
	got = string(f.Append(nil, &Frame{Time: at, Iface: 1, Dir: Out, Len: len(req), Data: req}))
	want = "15:04:05.123456 r1:eth10 > 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP   who-has 10.10.10.100 tell 10.10.10.10\n"
	if got != want {
		t.Errorf("line with -e:\n got %q\nwant %q", got, want)
	}
}

// TestVerbose checks that -v shows every layer's fields, wrapped at 80
// columns, after the line.
func TestVerbose(t *testing.T) {
	f := Formatter{Verbose: true, Location: time.UTC}
	f.SetLabel(0, "h1:eth0")
	data := tcpFrame(t, ip1, ip2, &layers.TCP{SrcPort: 40000, DstPort: 5201, Seq: 1000, SYN: true, Window: 64240}, nil)
	out := string(f.Append(nil, &Frame{Time: time.Unix(0, 0), Data: data, Len: len(data)}))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if len(l) > verboseWidth && strings.HasPrefix(l, " ") {
			t.Errorf("line longer than %d columns: %q", verboseWidth, l)
		}
	}
	for _, want := range []string{"    Ethernet: SrcMAC=02:00:00:00:00:01", "    IPv4: Version=4", "TTL=64", "    TCP: SrcPort=40000", "SYN=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("-v output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Contents=") {
		t.Errorf("-v output shows raw contents:\n%s", out)
	}
}

// TestLineWraps: on a terminal narrower than a line, the rest goes on
// below, indented to the summary, with the columns before it whole.
func TestLineWraps(t *testing.T) {
	at := time.Date(2026, 5, 1, 15, 4, 5, 123456789, time.UTC)
	f := Formatter{Location: time.UTC, Wrap: 60}
	f.SetLabel(0, "h2:eth0")
	req := arpFrame(t, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2)
	got := string(f.Append(nil, &Frame{Time: at, Iface: 0, Dir: In, Len: len(req), Data: req}))
	want := "15:04:05.123456 h2:eth0 < ARP   who-has 10.10.10.100 tell\n" +
		"                                10.10.10.10\n"
	if got != want {
		t.Errorf("wrapped line:\n got %q\nwant %q", got, want)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if len(l) > 60 {
			t.Errorf("piece %q is wider than 60", l)
		}
	}
	f.Wrap = 200
	if got := string(f.Append(nil, &Frame{Time: at, Iface: 0, Dir: In, Len: len(req), Data: req})); strings.Count(got, "\n") != 1 {
		t.Errorf("a line that fits was wrapped: %q", got)
	}
	f.Wrap = 20 // narrower than the columns: nothing sensible to do but keep them
	if got := string(f.Append(nil, &Frame{Time: at, Iface: 0, Dir: In, Len: len(req), Data: req})); !strings.HasPrefix(got, "15:04:05.123456 h2:eth0 < ARP   who-has") {
		t.Errorf("narrow terminal: %q", got)
	}
}
