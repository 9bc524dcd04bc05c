package capture

// Frames for the tests, built with gopacket the way a kernel would send
// them.

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	mac1  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	mac2  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	bcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	ip1   = net.IP{10, 10, 10, 10}
	ip2   = net.IP{10, 10, 10, 100}
	ip61  = net.ParseIP("fd00::1")
	ip62  = net.ParseIP("fd00::2")
)

// build serialises layers, fixing lengths and checksums; a TCP or UDP
// layer gets the IP layer before it for its checksum.
func build(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	var nl gopacket.NetworkLayer
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			nl = l
		case *layers.IPv6:
			nl = l
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(nl)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(nl)
		case *layers.ICMPv6:
			l.SetNetworkLayerForChecksum(nl)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("build frame: %v", err)
	}
	return buf.Bytes()
}

func eth(src, dst net.HardwareAddr, typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: typ}
}

func ip4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst, Flags: layers.IPv4DontFragment}
}

func ip6(src, dst net.IP, next layers.IPProtocol, hlim uint8) *layers.IPv6 {
	return &layers.IPv6{Version: 6, NextHeader: next, HopLimit: hlim, SrcIP: src, DstIP: dst}
}

func arpFrame(t testing.TB, op uint16, sha net.HardwareAddr, spa net.IP, tha net.HardwareAddr, tpa net.IP) []byte {
	dst := bcast
	if op == layers.ARPReply {
		dst = tha
	}
	return build(t, eth(sha, dst, layers.EthernetTypeARP), &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
		SourceHwAddress: sha, SourceProtAddress: spa.To4(), DstHwAddress: tha, DstProtAddress: tpa.To4(),
	})
}

func echoFrame(t testing.TB, typ uint8, src, dst net.IP, id, seq uint16) []byte {
	return build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq},
		gopacket.Payload(make([]byte, 56)))
}

// icmp6Frame is an ICMPv6 message of type typ with body (after the
// 4-byte header) from src to dst.
func icmp6Frame(t testing.TB, typ, code uint8, src, dst net.IP, body []byte) []byte {
	return build(t, eth(mac1, mac2, layers.EthernetTypeIPv6), ip6(src, dst, layers.IPProtocolICMPv6, 255),
		&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}, gopacket.Payload(body))
}

func udpFrame(t testing.TB, src, dst net.IP, sport, dport uint16, payload []byte) []byte {
	if src.To4() == nil {
		return build(t, eth(mac1, mac2, layers.EthernetTypeIPv6), ip6(src, dst, layers.IPProtocolUDP, 64),
			&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload(payload))
	}
	return build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolUDP),
		&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload(payload))
}

func tcpFrame(t testing.TB, src, dst net.IP, seg *layers.TCP, payload []byte) []byte {
	return build(t, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolTCP), seg, gopacket.Payload(payload))
}

// serialize is a layer's bytes on their own (an application payload).
func serialize(t testing.TB, l gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := l.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatalf("serialize %v: %v", l.LayerType(), err)
	}
	return buf.Bytes()
}
