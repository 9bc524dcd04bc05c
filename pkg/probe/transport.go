package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Outcome says how a TCP connection or UDP exchange ended.
type Outcome string

// The outcomes of Talk.
const (
	// OutcomeAnswered: TCP connected (and, when asked, the answer
	// holds the expected text); UDP got an answer that does.
	OutcomeAnswered Outcome = "answered"
	// OutcomeWrongAnswer: an answer came, without the text wanted.
	OutcomeWrongAnswer Outcome = "wrong-answer"
	// OutcomeRefused: the destination's TCP answered with RST.
	OutcomeRefused Outcome = "refused"
	// OutcomeUnreachable: an ICMP error came back (port unreachable, a
	// firewall's reject, no route at a router); Conn.ICMP says who.
	OutcomeUnreachable Outcome = "unreachable"
	// OutcomeTimeout: nothing came back within the timeout: dropped.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeLocal: the source's own stack refused (no route, its
	// firewall); Conn.Error says which.
	OutcomeLocal Outcome = "local"
	// OutcomeError: the check could not run.
	OutcomeError Outcome = "error"
)

// Conn is how a TCP connection or UDP exchange from a node went.
type Conn struct {
	Proto   string         `json:"proto"`
	To      netip.AddrPort `json:"to"`
	Outcome Outcome        `json:"outcome"`
	// Answer is the start of what came back (at most maxAnswer bytes).
	Answer string `json:"answer,omitempty"`
	// Want is the text the answer had to contain, with
	// OutcomeWrongAnswer.
	Want string `json:"want,omitempty"`
	// ICMP is the error that came back, with OutcomeUnreachable.
	ICMP *ICMPError `json:"icmp,omitempty"`
	// RTT is the time to connect (TCP) or to the answer (UDP).
	RTT   time.Duration `json:"rtt_ns,omitempty"`
	Error string        `json:"error,omitempty"`
}

// maxAnswer is the most of an answer Talk reads and keeps.
const maxAnswer = 4096

// Why says how it went, for people: "connected in 0.2 ms", "refused:
// TCP RST from 10.0.2.20", "r1 (10.0.1.1): destination port
// unreachable", "no answer within 1s: dropped".
func (c Conn) Why(timeout time.Duration) string {
	ms := float64(c.RTT.Microseconds()) / 1000
	switch c.Outcome {
	case OutcomeAnswered:
		if c.Proto == "tcp" {
			return fmt.Sprintf("connected in %.3f ms", ms)
		}
		return fmt.Sprintf("answered in %.3f ms", ms)
	case OutcomeWrongAnswer:
		if c.Answer == "" {
			return c.Error
		}
		return fmt.Sprintf("answered %q, not containing %q", shownAnswer(c.Answer), shownAnswer(c.Want))
	case OutcomeRefused:
		if c.Proto == "udp" {
			return "refused (ICMP port unreachable)"
		}
		return "refused: TCP RST from " + c.To.Addr().String()
	case OutcomeUnreachable:
		if c.ICMP != nil {
			return "ICMP " + c.ICMP.String()
		}
		return "ICMP unreachable: " + c.Error
	case OutcomeTimeout:
		return fmt.Sprintf("no answer within %s: dropped", timeout)
	}
	return c.Error
}

// shownAnswer is an answer cut to a line of 60 characters.
func shownAnswer(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// quotedTransport is the transport header an ICMP error quotes.
type quotedTransport struct {
	proto    int // 6 or 17
	src, dst netip.AddrPort
	err      *ICMPError
}

// parseQuoted4 decodes an ICMP error read from a raw IPv4 ICMP socket
// (IP header included) that quotes a TCP or UDP packet.
func parseQuoted4(b []byte) (quotedTransport, bool) {
	var q quotedTransport
	if len(b) < 20 || b[0]>>4 != 4 {
		return q, false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl+8 {
		return q, false
	}
	icmp := b[ihl:]
	typ, code := int(icmp[0]), int(icmp[1])
	if typ != 3 && typ != 11 && typ != 12 {
		return q, false
	}
	inner := icmp[8:]
	if len(inner) < 20 || inner[0]>>4 != 4 || (inner[9] != 6 && inner[9] != 17) {
		return q, false
	}
	iihl := int(inner[0]&0x0f) * 4
	if len(inner) < iihl+4 {
		return q, false
	}
	t := inner[iihl:]
	q.proto = int(inner[9])
	q.src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(inner[12:16])), binary.BigEndian.Uint16(t[0:]))
	q.dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(inner[16:20])), binary.BigEndian.Uint16(t[2:]))
	q.err = &ICMPError{From: netip.AddrFrom4([4]byte(b[12:16])), Type: typ, Code: code}
	if typ == 3 && code == 4 {
		q.err.MTU = int(binary.BigEndian.Uint16(icmp[6:]))
	}
	return q, true
}

// parseQuoted6 decodes an ICMPv6 error read from a raw ICMPv6 socket
// (no IPv6 header), sent by from, that quotes a TCP or UDP packet
// (without extension headers).
func parseQuoted6(b []byte, from netip.Addr) (quotedTransport, bool) {
	var q quotedTransport
	if len(b) < 8 {
		return q, false
	}
	typ, code := int(b[0]), int(b[1])
	if typ < 1 || typ > 4 {
		return q, false
	}
	inner := b[8:]
	if len(inner) < 44 || inner[0]>>4 != 6 || (inner[6] != 6 && inner[6] != 17) {
		return q, false
	}
	t := inner[40:]
	q.proto = int(inner[6])
	q.src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(inner[8:24])), binary.BigEndian.Uint16(t[0:]))
	q.dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(inner[24:40])), binary.BigEndian.Uint16(t[2:]))
	q.err = &ICMPError{From: from, Type: typ, Code: code, V6: true}
	if typ == 2 {
		q.err.MTU = int(binary.BigEndian.Uint32(b[4:]))
	}
	return q, true
}
