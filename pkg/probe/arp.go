package probe

import (
	"fmt"
	"net"

	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// broadcast is the Ethernet broadcast address.
var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// arpRequest builds an ARP who-has for target, asked by src from ifi
// (RFC 826): broadcast, or sent straight to dst when it is given (a
// unicast poll, which the owner answers just the same, RFC 1122 2.3.2.1).
func arpRequest(ifi Interface, src, target netip.Addr, dst net.HardwareAddr) ([]byte, error) {
	if !src.Is4() || !target.Is4() {
		return nil, fmt.Errorf("arp request %s from %s: both must be IPv4", target, src)
	}
	if dst == nil {
		dst = broadcast
	}
	eth := layers.Ethernet{
		SrcMAC:       ifi.MAC,
		DstMAC:       dst,
		EthernetType: layers.EthernetTypeARP,
	}
	s4, t4 := src.As4(), target.As4()
	arp := layers.ARP{
		AddrType:          layers.LinkTypeEthernet,
		Protocol:          layers.EthernetTypeIPv4,
		HwAddressSize:     6,
		ProtAddressSize:   4,
		Operation:         layers.ARPRequest,
		SourceHwAddress:   ifi.MAC,
		SourceProtAddress: s4[:],
		DstHwAddress:      make([]byte, 6),
		DstProtAddress:    t4[:],
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, &eth, &arp); err != nil {
		return nil, fmt.Errorf("build arp request for %s: %w", target, err)
	}
	return buf.Bytes(), nil
}
