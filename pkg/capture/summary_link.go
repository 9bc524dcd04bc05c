package capture

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// appendARP summarises an ARP frame: "who-has T tell S" for a request,
// "S is-at MAC" for a reply, with "(gratuitous)" for an announcement
// and "(probe)" for a duplicate address probe.
func appendARP(b []byte, d *decoded) []byte {
	a := &d.arp
	b = appendProto(b, "ARP")
	if a.AddrType != layers.LinkTypeEthernet || a.Protocol != layers.EthernetTypeIPv4 ||
		len(a.SourceProtAddress) != 4 || len(a.DstProtAddress) != 4 {
		return fmt.Appendf(b, "op %d hardware %d protocol 0x%04x", a.Operation, a.AddrType, uint16(a.Protocol))
	}
	sender, target := addrOf(a.SourceProtAddress), addrOf(a.DstProtAddress)
	switch a.Operation {
	case layers.ARPRequest:
		b = append(b, "who-has "...)
		b = target.AppendTo(b)
		b = append(b, " tell "...)
		b = sender.AppendTo(b)
		switch {
		case sender == target:
			b = append(b, " (gratuitous)"...)
		case sender.IsUnspecified():
			b = append(b, " (probe)"...)
		}
	case layers.ARPReply:
		b = sender.AppendTo(b)
		b = append(b, " is-at "...)
		b = append(b, net.HardwareAddr(a.SourceHwAddress).String()...)
		if sender == target {
			b = append(b, " (gratuitous)"...)
		}
	default:
		b = fmt.Appendf(b, "op %d %s > %s", a.Operation, sender, target)
	}
	return b
}

// appendOther summarises a frame that is neither ARP nor IP: spanning
// tree BPDUs by name, anything else by its EtherType and length.
func appendOther(b []byte, d *decoded, wireLen int) []byte {
	if d.eth.EthernetType == layers.EthernetTypeLLC {
		p := d.eth.Payload
		if len(p) >= 7 && p[0] == 0x42 && p[1] == 0x42 {
			return appendSTP(b, p[3:])
		}
		b = appendProto(b, "LLC")
		if len(p) >= 2 {
			b = fmt.Appendf(b, "dsap 0x%02x ssap 0x%02x ", p[0], p[1])
		}
		return append(append(b, "len "...), strconv.Itoa(wireLen)...)
	}
	b = appendProto(b, "ETHER")
	return fmt.Appendf(b, "type 0x%04x len %d", uint16(d.eth.EthernetType), wireLen)
}

// appendSTP summarises a spanning tree BPDU (IEEE 802.1D): its type,
// and for a configuration BPDU the root, its cost and the sender.
func appendSTP(b []byte, p []byte) []byte {
	b = appendProto(b, "STP")
	if len(p) < 4 {
		return append(b, "BPDU [|stp]"...)
	}
	switch p[3] {
	case 0x80:
		return append(b, "topology change notification"...)
	case 0x00:
		b = append(b, "config "...)
	case 0x02:
		b = append(b, "rstp "...)
	default:
		return fmt.Appendf(b, "BPDU type 0x%02x", p[3])
	}
	if len(p) < 31 {
		return append(b, "[|stp]"...)
	}
	b = append(b, "root "...)
	b = appendBridgeID(b, p[5:13])
	b = fmt.Appendf(b, " cost %d bridge ", binary.BigEndian.Uint32(p[13:17]))
	b = appendBridgeID(b, p[17:25])
	b = fmt.Appendf(b, " port 0x%04x", binary.BigEndian.Uint16(p[25:27]))
	if p[4]&1 != 0 {
		b = append(b, " tc"...)
	}
	return b
}

// appendBridgeID renders an 8-byte bridge id as priority/MAC.
func appendBridgeID(b []byte, id []byte) []byte {
	b = strconv.AppendUint(b, uint64(binary.BigEndian.Uint16(id[0:2])), 10)
	b = append(b, '/')
	return append(b, net.HardwareAddr(id[2:8]).String()...)
}

// appendAddrPort renders an address, and ".port" when hasPort.
func appendAddrPort(b []byte, a netip.Addr, port uint16, hasPort bool) []byte {
	b = a.AppendTo(b)
	if hasPort {
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(port), 10)
	}
	return b
}
