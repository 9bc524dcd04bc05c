package probe

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// solicitedNode returns the solicited-node multicast address of target
// and its Ethernet group address (RFC 4291 2.7.1, RFC 2464 7).
func solicitedNode(target netip.Addr) (netip.Addr, net.HardwareAddr) {
	t := target.As16()
	a := [16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]}
	return netip.AddrFrom16(a), net.HardwareAddr{0x33, 0x33, 0xff, t[13], t[14], t[15]}
}

// neighborSolicitation builds a neighbour solicitation for target, sent
// by src from ifi with its link-layer address as option (RFC 4861 4.3),
// so the target can answer without resolving us: to target's
// solicited-node group, or, when dst is given, straight to dst and
// target as in neighbour unreachability detection (RFC 4861 7.2.2).
func neighborSolicitation(ifi Interface, src, target netip.Addr, dst net.HardwareAddr) ([]byte, error) {
	if !src.Is6() || !target.Is6() || src.Is4In6() || target.Is4In6() {
		return nil, fmt.Errorf("neighbour solicitation for %s from %s: both must be IPv6", target, src)
	}
	group, groupMAC := solicitedNode(target)
	if dst != nil {
		group, groupMAC = target, dst
	}
	eth := layers.Ethernet{SrcMAC: ifi.MAC, DstMAC: groupMAC, EthernetType: layers.EthernetTypeIPv6}
	ip := layers.IPv6{
		Version:    6,
		HopLimit:   255,
		NextHeader: layers.IPProtocolICMPv6,
		SrcIP:      src.AsSlice(),
		DstIP:      group.AsSlice(),
	}
	icmp := layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)}
	if err := icmp.SetNetworkLayerForChecksum(&ip); err != nil {
		return nil, fmt.Errorf("neighbour solicitation for %s: %w", target, err)
	}
	ns := layers.ICMPv6NeighborSolicitation{
		TargetAddress: target.AsSlice(),
		Options: layers.ICMPv6Options{
			{Type: layers.ICMPv6OptSourceAddress, Data: ifi.MAC},
		},
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, &eth, &ip, &icmp, &ns); err != nil {
		return nil, fmt.Errorf("build neighbour solicitation for %s: %w", target, err)
	}
	return buf.Bytes(), nil
}
