package capture

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// unreach4 names the codes of ICMP destination unreachable (RFC 792,
// RFC 1812).
var unreach4 = []string{"net", "host", "protocol", "port", "need-frag", "source-route-failed",
	"net-unknown", "host-unknown", "source-isolated", "net-prohibited", "host-prohibited",
	"net-tos", "host-tos", "admin-prohibited", "precedence-violation", "precedence-cutoff"}

// unreach6 names the codes of ICMPv6 destination unreachable (RFC 4443).
var unreach6 = []string{"no-route", "admin-prohibited", "beyond-scope", "address", "port",
	"source-policy", "reject-route"}

// exceeded names the codes of time exceeded, both versions.
var exceeded = []string{"in-transit", "reassembly"}

// codeName is names[code], or "code N" when it has none.
func codeName(names []string, code uint8) string {
	if int(code) < len(names) {
		return names[code]
	}
	return "code " + strconv.Itoa(int(code))
}

// appendICMP4 summarises an ICMP message (RFC 792): echo with id and
// sequence, unreachable and time exceeded with their code and the
// packet they are about.
func appendICMP4(b []byte, m *layers.ICMPv4) []byte {
	code := m.TypeCode.Code()
	switch m.TypeCode.Type() {
	case layers.ICMPv4TypeEchoRequest, layers.ICMPv4TypeEchoReply:
		kind := "request"
		if m.TypeCode.Type() == layers.ICMPv4TypeEchoReply {
			kind = "reply"
		}
		return fmt.Appendf(b, "echo %s id %d seq %d", kind, m.Id, m.Seq)
	case layers.ICMPv4TypeDestinationUnreachable:
		b = append(b, "unreachable "...)
		b = append(b, codeName(unreach4, code)...)
		if code == layers.ICMPv4CodeFragmentationNeeded {
			b = fmt.Appendf(b, " mtu %d", m.Seq)
		}
		return appendQuoted4(b, m.Payload)
	case layers.ICMPv4TypeTimeExceeded:
		b = append(b, "time exceeded "...)
		b = append(b, codeName(exceeded, code)...)
		return appendQuoted4(b, m.Payload)
	case layers.ICMPv4TypeRedirect:
		gw := netip.AddrFrom4([4]byte{byte(m.Id >> 8), byte(m.Id), byte(m.Seq >> 8), byte(m.Seq)})
		b = append(b, "redirect to "...)
		b = gw.AppendTo(b)
		return appendQuoted4(b, m.Payload)
	}
	return fmt.Appendf(b, "type %d code %d", m.TypeCode.Type(), code)
}

// appendQuoted4 names the packet an ICMP error quotes (its IPv4 header
// and first 8 bytes): " for udp 10.0.2.10.33434".
func appendQuoted4(b []byte, q []byte) []byte {
	if len(q) < 20 || q[0]>>4 != 4 {
		return b
	}
	ihl := int(q[0]&0x0f) * 4
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	return appendQuoted(b, layers.IPProtocol(q[9]), dst, q[min(ihl, len(q)):])
}

// appendQuoted6 is appendQuoted4 for ICMPv6 errors, whose body starts
// with 4 bytes (unused, MTU or pointer) before the quoted packet.
func appendQuoted6(b []byte, body []byte) []byte {
	if len(body) < 44 || body[4]>>4 != 6 {
		return b
	}
	q := body[4:]
	dst := netip.AddrFrom16([16]byte(q[24:40]))
	return appendQuoted(b, layers.IPProtocol(q[6]), dst, q[40:])
}

func appendQuoted(b []byte, proto layers.IPProtocol, dst netip.Addr, l4 []byte) []byte {
	b = append(b, " for "...)
	switch proto {
	case layers.IPProtocolTCP, layers.IPProtocolUDP:
		b = append(b, []string{layers.IPProtocolTCP: "tcp", layers.IPProtocolUDP: "udp"}[proto]...)
		b = append(b, ' ')
		port, ok := uint16(0), len(l4) >= 4
		if ok {
			port = binary.BigEndian.Uint16(l4[2:4])
		}
		return appendAddrPort(b, dst, port, ok)
	case layers.IPProtocolICMPv4:
		b = append(b, "icmp "...)
	case layers.IPProtocolICMPv6:
		b = append(b, "icmp6 "...)
	default:
		b = fmt.Appendf(b, "proto %d ", uint8(proto))
	}
	return dst.AppendTo(b)
}

// appendICMP6 summarises an ICMPv6 message (RFC 4443): echo, errors,
// and the neighbour discovery (RFC 4861) and multicast listener
// (RFC 2710, RFC 3810) messages a lab's hosts send by themselves.
func appendICMP6(b []byte, m *layers.ICMPv6) []byte {
	p := m.Payload
	code := m.TypeCode.Code()
	switch typ := m.TypeCode.Type(); typ {
	case layers.ICMPv6TypeEchoRequest, layers.ICMPv6TypeEchoReply:
		kind := "request"
		if typ == layers.ICMPv6TypeEchoReply {
			kind = "reply"
		}
		if len(p) < 4 {
			return append(b, "echo "+kind+" [|icmp6]"...)
		}
		return fmt.Appendf(b, "echo %s id %d seq %d", kind, binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4]))
	case layers.ICMPv6TypeDestinationUnreachable:
		b = append(b, "unreachable "...)
		b = append(b, codeName(unreach6, code)...)
		return appendQuoted6(b, p)
	case layers.ICMPv6TypePacketTooBig:
		if len(p) < 4 {
			return append(b, "packet too big [|icmp6]"...)
		}
		b = fmt.Appendf(b, "packet too big mtu %d", binary.BigEndian.Uint32(p[0:4]))
		return appendQuoted6(b, p)
	case layers.ICMPv6TypeTimeExceeded:
		b = append(b, "time exceeded "...)
		b = append(b, codeName(exceeded, code)...)
		return appendQuoted6(b, p)
	case layers.ICMPv6TypeRouterSolicitation:
		return append(b, "router solicitation"...)
	case layers.ICMPv6TypeRouterAdvertisement:
		return appendRA(b, p)
	case layers.ICMPv6TypeNeighborSolicitation:
		if len(p) < 20 {
			return append(b, "neighbor solicitation [|icmp6]"...)
		}
		b = append(b, "neighbor solicitation who-has "...)
		return netip.AddrFrom16([16]byte(p[4:20])).AppendTo(b)
	case layers.ICMPv6TypeNeighborAdvertisement:
		return appendNA(b, p)
	case layers.ICMPv6TypeRedirect:
		return append(b, "redirect"...)
	case layers.ICMPv6TypeMLDv1MulticastListenerQueryMessage:
		return append(b, "multicast listener query"...)
	case layers.ICMPv6TypeMLDv1MulticastListenerReportMessage:
		return append(b, "multicast listener report"...)
	case layers.ICMPv6TypeMLDv1MulticastListenerDoneMessage:
		return append(b, "multicast listener done"...)
	case layers.ICMPv6TypeMLDv2MulticastListenerReportMessageV2:
		b = append(b, "multicast listener report v2"...)
		if len(p) >= 4 {
			n := binary.BigEndian.Uint16(p[2:4])
			b = fmt.Appendf(b, " %d %s", n, plural(uint64(n), "group"))
		}
		return b
	default:
		return fmt.Appendf(b, "type %d code %d", typ, code)
	}
}

// appendNA summarises a neighbour advertisement: "fd00::2 is-at MAC"
// (the MAC from the target link-layer address option) and its flags
// (router, solicited, override).
func appendNA(b []byte, p []byte) []byte {
	if len(p) < 20 {
		return append(b, "neighbor advertisement [|icmp6]"...)
	}
	b = append(b, "neighbor advertisement "...)
	b = netip.AddrFrom16([16]byte(p[4:20])).AppendTo(b)
	if mac := ndpOption(p[20:], 2); len(mac) >= 6 {
		b = append(b, " is-at "...)
		b = append(b, net.HardwareAddr(mac[:6]).String()...)
	}
	flags := ""
	for i, c := range "RSO" {
		if p[0]&(0x80>>i) != 0 {
			flags += string(c)
		}
	}
	if flags != "" {
		b = append(b, " ["+flags+"]"...)
	}
	return b
}

// appendRA summarises a router advertisement: hop limit, router
// lifetime and the first prefix it announces.
func appendRA(b []byte, p []byte) []byte {
	if len(p) < 12 {
		return append(b, "router advertisement [|icmp6]"...)
	}
	b = fmt.Appendf(b, "router advertisement hlim %d lifetime %ds", p[0], binary.BigEndian.Uint16(p[2:4]))
	if pi := ndpOption(p[12:], 3); len(pi) >= 30 {
		pfx := netip.PrefixFrom(netip.AddrFrom16([16]byte(pi[14:30])), int(min(pi[0], 128)))
		b = append(b, " prefix "...)
		b = pfx.AppendTo(b)
	}
	return b
}

// ndpOption returns the body (after type and length) of the first
// neighbour discovery option of type typ in opts, or nil.
func ndpOption(opts []byte, typ byte) []byte {
	for len(opts) >= 8 {
		n := int(opts[1]) * 8
		if n == 0 || n > len(opts) {
			return nil
		}
		if opts[0] == typ {
			return opts[2:n]
		}
		opts = opts[n:]
	}
	return nil
}
