package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// What a decoded frame holds, as bits of decoded.has.
const (
	hasEth = 1 << iota
	hasVLAN
	hasARP
	hasIP4
	hasIP6
	hasICMP4
	hasICMP6
	hasTCP
	hasUDP
)

// decoded is a frame taken apart as far as the link, network and
// transport layers, for the filter and the formatter. Its layers are
// reused from frame to frame, so one decoded belongs to one goroutine,
// and it refers to the frame's bytes: valid while they are.
type decoded struct {
	eth   layers.Ethernet
	vlan  layers.Dot1Q
	arp   layers.ARP
	ip4   layers.IPv4
	ip6   layers.IPv6
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	tcp   layers.TCP
	udp   layers.UDP

	has uint16
	// proto is the IP protocol of the transport layer, after IPv6's
	// extension headers; ipPayload is that layer's bytes.
	proto     layers.IPProtocol
	ipPayload []byte
	// fragment is set for an IP fragment that is not the first: it
	// carries no transport header.
	fragment bool
	// cut names the layer that was cut short or malformed ("" for
	// none), for the "[|tcp]" mark of a truncated frame.
	cut string
}

// decode takes data apart; what it cannot decode is left out and noted
// in cut. It never panics on any input (see FuzzDecode).
func (d *decoded) decode(data []byte) {
	d.has, d.proto, d.ipPayload, d.fragment, d.cut = 0, 0, nil, false, ""
	if err := d.eth.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		d.cut = "ether"
		return
	}
	d.has |= hasEth
	typ, payload := d.eth.EthernetType, d.eth.Payload
	if typ == layers.EthernetTypeDot1Q {
		if err := d.vlan.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			d.cut = "vlan"
			return
		}
		d.has |= hasVLAN
		typ, payload = d.vlan.Type, d.vlan.Payload
	}
	switch typ {
	case layers.EthernetTypeARP:
		if err := d.arp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
			d.cut = "arp"
			return
		}
		d.has |= hasARP
	case layers.EthernetTypeIPv4:
		d.decodeIPv4(payload)
	case layers.EthernetTypeIPv6:
		d.decodeIPv6(payload)
	}
}

func (d *decoded) decodeIPv4(b []byte) {
	if err := d.ip4.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.cut = "ip"
		return
	}
	d.has |= hasIP4
	d.proto, d.ipPayload = d.ip4.Protocol, d.ip4.Payload
	d.fragment = d.ip4.FragOffset != 0
	d.decodeTransport()
}

func (d *decoded) decodeIPv6(b []byte) {
	if err := d.ip6.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		d.cut = "ip6"
		return
	}
	d.has |= hasIP6
	d.proto, d.ipPayload = d.ip6.NextHeader, d.ip6.Payload
	if d.ip6.HopByHop != nil { // gopacket takes it as part of IPv6
		d.proto = d.ip6.HopByHop.NextHeader
	}
	d.skipExtensions()
	d.decodeTransport()
}

// skipExtensions walks IPv6's extension headers (hop-by-hop, routing,
// fragment, destination options, authentication) to the transport
// layer.
func (d *decoded) skipExtensions() {
	for range 8 {
		b := d.ipPayload
		var n int
		switch d.proto {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination:
			if len(b) < 2 {
				d.cut = "ip6"
				return
			}
			n = (int(b[1]) + 1) * 8
		case layers.IPProtocolIPv6Fragment:
			n = 8
			if len(b) >= 4 && binary.BigEndian.Uint16(b[2:4])&^7 != 0 {
				d.fragment = true
			}
		case layers.IPProtocolAH:
			if len(b) < 2 {
				d.cut = "ip6"
				return
			}
			n = (int(b[1]) + 2) * 4
		default:
			return
		}
		if len(b) < n {
			d.cut = "ip6"
			return
		}
		d.proto, d.ipPayload = layers.IPProtocol(b[0]), b[n:]
	}
}

func (d *decoded) decodeTransport() {
	if d.fragment || d.cut != "" {
		return
	}
	var (
		l   gopacket.DecodingLayer
		bit uint16
		cut string
	)
	switch d.proto {
	case layers.IPProtocolICMPv4:
		if d.has&hasIP4 == 0 {
			return
		}
		l, bit, cut = &d.icmp4, hasICMP4, "icmp"
	case layers.IPProtocolICMPv6:
		l, bit, cut = &d.icmp6, hasICMP6, "icmp6"
	case layers.IPProtocolTCP:
		l, bit, cut = &d.tcp, hasTCP, "tcp"
	case layers.IPProtocolUDP:
		l, bit, cut = &d.udp, hasUDP, "udp"
	default:
		return
	}
	if err := l.DecodeFromBytes(d.ipPayload, gopacket.NilDecodeFeedback); err != nil {
		d.cut = cut
		return
	}
	d.has |= bit
}

// addrs returns the frame's IP source and destination, or for ARP its
// sender's and target's protocol addresses; invalid addresses when it
// has none.
func (d *decoded) addrs() (src, dst netip.Addr) {
	switch {
	case d.has&hasIP4 != 0:
		return addrOf(d.ip4.SrcIP), addrOf(d.ip4.DstIP)
	case d.has&hasIP6 != 0:
		return addrOf(d.ip6.SrcIP), addrOf(d.ip6.DstIP)
	case d.has&hasARP != 0:
		return addrOf(d.arp.SourceProtAddress), addrOf(d.arp.DstProtAddress)
	}
	return netip.Addr{}, netip.Addr{}
}

// ports returns the TCP or UDP ports, and false for other frames.
func (d *decoded) ports() (src, dst uint16, ok bool) {
	switch {
	case d.has&hasTCP != 0:
		return uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort), true
	case d.has&hasUDP != 0:
		return uint16(d.udp.SrcPort), uint16(d.udp.DstPort), true
	}
	return 0, 0, false
}

// addrOf converts a 4- or 16-byte address; anything else is invalid.
func addrOf(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a
}
