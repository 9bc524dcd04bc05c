package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ICMPError is an ICMP or ICMPv6 error that came back for an echo
// request: who sent it and what it says.
type ICMPError struct {
	// From is the address the error came from; FromNode names the lab
	// node that owns it, when known.
	From     netip.Addr `json:"from"`
	FromNode string     `json:"from_node,omitempty"`
	// Type and Code are the message's (ICMPv6's for IPv6).
	Type int  `json:"type"`
	Code int  `json:"code"`
	V6   bool `json:"v6,omitempty"`
	// MTU is the next-hop MTU of "fragmentation needed" and "packet
	// too big"; 0 otherwise.
	MTU int `json:"mtu,omitempty"`
}

// Text says what the error means, the way ping says it:
// "destination net unreachable", "time to live exceeded".
func (e *ICMPError) Text() string {
	var s string
	if e.V6 {
		s = icmp6Text(e.Type, e.Code)
	} else {
		s = icmp4Text(e.Type, e.Code)
	}
	if e.MTU > 0 {
		s += fmt.Sprintf(" (mtu %d)", e.MTU)
	}
	return s
}

// String says who sent the error and what it says:
// "r1 (10.1.1.1): destination net unreachable".
func (e *ICMPError) String() string {
	who := e.From.String()
	if e.FromNode != "" {
		who = e.FromNode + " (" + who + ")"
	}
	return who + ": " + e.Text()
}

func icmp4Text(typ, code int) string {
	switch typ {
	case 3:
		texts := map[int]string{
			0: "destination net unreachable", 1: "destination host unreachable",
			2: "destination protocol unreachable", 3: "destination port unreachable",
			4: "fragmentation needed and DF set", 5: "source route failed",
			6: "destination net unknown", 7: "destination host unknown",
			9: "destination net prohibited", 10: "destination host prohibited",
			11: "destination net unreachable for type of service",
			12: "destination host unreachable for type of service",
			13: "communication administratively prohibited (a firewall rejected it)",
			14: "host precedence violation", 15: "precedence cutoff in effect",
		}
		if t, ok := texts[code]; ok {
			return t
		}
		return fmt.Sprintf("destination unreachable, code %d", code)
	case 11:
		if code == 1 {
			return "fragment reassembly time exceeded"
		}
		return "time to live exceeded (a routing loop, or too many hops)"
	case 12:
		return "parameter problem"
	case 4:
		return "source quench"
	}
	return fmt.Sprintf("icmp type %d code %d", typ, code)
}

func icmp6Text(typ, code int) string {
	switch typ {
	case 1:
		texts := map[int]string{
			0: "no route to destination", 1: "communication administratively prohibited (a firewall rejected it)",
			2: "beyond scope of source address", 3: "address unreachable",
			4: "port unreachable", 5: "source address failed ingress/egress policy",
			6: "reject route to destination",
		}
		if t, ok := texts[code]; ok {
			return t
		}
		return fmt.Sprintf("destination unreachable, code %d", code)
	case 2:
		return "packet too big"
	case 3:
		if code == 1 {
			return "fragment reassembly time exceeded"
		}
		return "hop limit exceeded (a routing loop, or too many hops)"
	case 4:
		return "parameter problem"
	}
	return fmt.Sprintf("icmpv6 type %d code %d", typ, code)
}

// stackMsg is what a raw ICMP socket read about one of our echoes: a
// reply or an error quoting the request.
type stackMsg struct {
	id, seq uint16
	reply   bool
	// payload is the echo data of a reply (aliases the read buffer).
	payload []byte
	// dst is the quoted request's destination, for errors.
	dst netip.Addr
	// ttl is the reply's TTL or hop limit; -1 when unknown.
	ttl int
	// size is the ICMP message length of a reply.
	size int
	err  *ICMPError
}

// parseStack4 decodes a datagram read from a raw IPv4 ICMP socket (IP
// header included). ok is false for anything but an echo reply or an
// error quoting an echo request.
func parseStack4(b []byte) (m stackMsg, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return m, false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl+8 {
		return m, false
	}
	from := netip.AddrFrom4([4]byte(b[12:16]))
	ttl := int(b[8])
	icmp := b[ihl:]
	typ, code := int(icmp[0]), int(icmp[1])
	if typ == 0 {
		return stackMsg{
			id: binary.BigEndian.Uint16(icmp[4:]), seq: binary.BigEndian.Uint16(icmp[6:]),
			reply: true, payload: icmp[8:], ttl: ttl, size: len(icmp),
		}, true
	}
	if typ != 3 && typ != 11 && typ != 12 && typ != 4 {
		return m, false
	}
	inner := icmp[8:]
	if len(inner) < 20 || inner[0]>>4 != 4 || inner[9] != 1 {
		return m, false
	}
	iihl := int(inner[0]&0x0f) * 4
	if len(inner) < iihl+8 || inner[iihl] != 8 {
		return m, false
	}
	q := inner[iihl:]
	e := &ICMPError{From: from, Type: typ, Code: code}
	if typ == 3 && code == 4 {
		e.MTU = int(binary.BigEndian.Uint16(icmp[6:]))
	}
	return stackMsg{
		id: binary.BigEndian.Uint16(q[4:]), seq: binary.BigEndian.Uint16(q[6:]),
		dst: netip.AddrFrom4([4]byte(inner[16:20])), ttl: -1, err: e,
	}, true
}

// parseStack6 decodes a message read from a raw ICMPv6 socket (no IPv6
// header) that came from from with hop limit ttl (-1: unknown).
func parseStack6(b []byte, from netip.Addr, ttl int) (m stackMsg, ok bool) {
	if len(b) < 8 {
		return m, false
	}
	typ, code := int(b[0]), int(b[1])
	if typ == 129 {
		return stackMsg{
			id: binary.BigEndian.Uint16(b[4:]), seq: binary.BigEndian.Uint16(b[6:]),
			reply: true, payload: b[8:], ttl: ttl, size: len(b),
		}, true
	}
	if typ < 1 || typ > 4 {
		return m, false
	}
	inner := b[8:]
	if len(inner) < 48 || inner[0]>>4 != 6 || inner[6] != 58 || inner[40] != 128 {
		return m, false
	}
	q := inner[40:]
	e := &ICMPError{From: from, Type: typ, Code: code, V6: true}
	if typ == 2 {
		e.MTU = int(binary.BigEndian.Uint32(b[4:]))
	}
	return stackMsg{
		id: binary.BigEndian.Uint16(q[4:]), seq: binary.BigEndian.Uint16(q[6:]),
		dst: netip.AddrFrom16([16]byte(inner[24:40])), ttl: -1, err: e,
	}, true
}

// echoMessage builds an ICMP (or, with v6, ICMPv6) echo request
// message, header and data; the kernel adds the IP header, and the
// ICMPv6 checksum.
func echoMessage(v6 bool, id, seq uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = 8
	if v6 {
		b[0] = 128
	}
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], payload)
	if !v6 {
		binary.BigEndian.PutUint16(b[2:], inetChecksum(b))
	}
	return b
}

// inetChecksum is the Internet checksum of b (RFC 1071).
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
