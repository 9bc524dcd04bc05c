package probe

import (
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// kind is what an inbound frame answers.
type kind int

const (
	kindNone     kind = iota
	kindNeighbor      // ARP reply or neighbour advertisement
	kindEcho          // ICMP or ICMPv6 echo reply
)

// inbound is the part of a received frame a waiting request needs.
// payload aliases the read buffer and is only valid during dispatch.
type inbound struct {
	kind kind
	// addr is the address answered for: the ARP sender or NA target for
	// kindNeighbor, the IP source for kindEcho.
	addr netip.Addr
	// dstIP is the echo reply's IP destination.
	dstIP   netip.Addr
	mac     net.HardwareAddr
	id, seq uint16
	ttl     uint8
	payload []byte
}

// decoder parses received frames without allocating per frame. It is
// used by one goroutine only.
type decoder struct {
	eth     layers.Ethernet
	arp     layers.ARP
	ip4     layers.IPv4
	icmp4   layers.ICMPv4
	ip6     layers.IPv6
	icmp6   layers.ICMPv6
	echo6   layers.ICMPv6Echo
	na      layers.ICMPv6NeighborAdvertisement
	payload gopacket.Payload
	parser  *gopacket.DecodingLayerParser
	layers  []gopacket.LayerType
}

func newDecoder() *decoder {
	d := &decoder{}
	d.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&d.eth, &d.arp, &d.ip4, &d.icmp4, &d.ip6, &d.icmp6, &d.echo6, &d.na, &d.payload)
	d.parser.IgnoreUnsupported = true
	d.layers = make([]gopacket.LayerType, 0, 8)
	return d
}

// decode classifies a frame; ok is false for frames no request can be
// waiting for (requests, unrelated protocols, truncated frames).
func (d *decoder) decode(b []byte) (in inbound, ok bool) {
	// Errors only mean "stopped early"; what was decoded is still valid.
	_ = d.parser.DecodeLayers(b, &d.layers)
	has := func(t gopacket.LayerType) bool {
		for _, l := range d.layers {
			if l == t {
				return true
			}
		}
		return false
	}
	switch {
	case has(layers.LayerTypeARP):
		a := &d.arp
		if a.Operation != layers.ARPReply || a.Protocol != layers.EthernetTypeIPv4 ||
			len(a.SourceProtAddress) != 4 || len(a.SourceHwAddress) != 6 {
			return in, false
		}
		in.kind = kindNeighbor
		in.addr = netip.AddrFrom4([4]byte(a.SourceProtAddress))
		in.mac = append(net.HardwareAddr(nil), a.SourceHwAddress...)
		return in, true
	case has(layers.LayerTypeICMPv4):
		if d.icmp4.TypeCode.Type() != layers.ICMPv4TypeEchoReply {
			return in, false
		}
		src, ok1 := netip.AddrFromSlice(d.ip4.SrcIP.To4())
		dst, ok2 := netip.AddrFromSlice(d.ip4.DstIP.To4())
		if !ok1 || !ok2 {
			return in, false
		}
		in.kind = kindEcho
		in.addr, in.dstIP = src, dst
		in.id, in.seq, in.ttl = d.icmp4.Id, d.icmp4.Seq, d.ip4.TTL
		in.payload = d.icmp4.Payload
		return in, true
	case has(layers.LayerTypeICMPv6Echo):
		if d.icmp6.TypeCode.Type() != layers.ICMPv6TypeEchoReply {
			return in, false
		}
		src, ok1 := netip.AddrFromSlice(d.ip6.SrcIP)
		dst, ok2 := netip.AddrFromSlice(d.ip6.DstIP)
		if !ok1 || !ok2 {
			return in, false
		}
		in.kind = kindEcho
		in.addr, in.dstIP = src, dst
		in.id, in.seq, in.ttl = d.echo6.Identifier, d.echo6.SeqNumber, d.ip6.HopLimit
		in.payload = d.echo6.Payload
		return in, true
	case has(layers.LayerTypeICMPv6NeighborAdvertisement):
		target, ok := netip.AddrFromSlice(d.na.TargetAddress)
		if !ok {
			return in, false
		}
		mac := net.HardwareAddr(d.eth.SrcMAC)
		for _, o := range d.na.Options {
			if o.Type == layers.ICMPv6OptTargetAddress && len(o.Data) == 6 {
				mac = net.HardwareAddr(o.Data)
			}
		}
		in.kind = kindNeighbor
		in.addr = target
		in.mac = append(net.HardwareAddr(nil), mac...)
		return in, true
	}
	return in, false
}
