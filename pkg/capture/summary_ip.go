package capture

import (
	"fmt"
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// appendIP summarises an IPv4 or IPv6 packet: the protocol column (the
// application protocol when topo knows it), source > destination (with
// ports), what the packet says, and its TTL or hop limit.
func appendIP(b []byte, d *decoded) []byte {
	src, dst := d.addrs()
	sp, dp, hasPorts := d.ports()
	app := d.application()
	b = appendProto(b, protoName(d, app))
	b = appendAddrPort(b, src, sp, hasPorts)
	b = append(b, " > "...)
	b = appendAddrPort(b, dst, dp, hasPorts)
	b = append(b, ' ')
	switch {
	case d.fragment:
		b = appendFragment(b, d)
	case app != appNone:
		b = appendApp(b, d, app)
	case d.has&hasICMP4 != 0:
		b = appendICMP4(b, &d.icmp4)
	case d.has&hasICMP6 != 0:
		b = appendICMP6(b, &d.icmp6)
	case d.has&hasTCP != 0:
		b = appendTCP(b, &d.tcp)
	case d.has&hasUDP != 0:
		b = append(b, "len "...)
		b = strconv.AppendInt(b, int64(len(d.udp.Payload)), 10)
	default:
		b = fmt.Appendf(b, "proto %d len %d", uint8(d.proto), len(d.ipPayload))
	}
	if d.has&hasIP4 != 0 {
		b = append(b, " ttl "...)
		return strconv.AppendUint(b, uint64(d.ip4.TTL), 10)
	}
	b = append(b, " hlim "...)
	return strconv.AppendUint(b, uint64(d.ip6.HopLimit), 10)
}

// protoName is the protocol column of an IP packet.
func protoName(d *decoded, app appProto) string {
	switch {
	case app != appNone:
		return app.String()
	case d.fragment:
	case d.has&hasICMP4 != 0:
		return "ICMP"
	case d.has&hasICMP6 != 0:
		return "ICMP6"
	case d.has&hasTCP != 0:
		return "TCP"
	case d.has&hasUDP != 0:
		return "UDP"
	}
	if d.has&hasIP4 != 0 {
		return "IP"
	}
	return "IP6"
}

// appendFragment describes a fragment that is not the first.
func appendFragment(b []byte, d *decoded) []byte {
	if d.has&hasIP4 != 0 {
		return fmt.Appendf(b, "fragment id %d offset %d proto %d len %d", d.ip4.Id, int(d.ip4.FragOffset)*8, uint8(d.proto), len(d.ipPayload))
	}
	return fmt.Appendf(b, "fragment proto %d len %d", uint8(d.proto), len(d.ipPayload))
}

// appendTCP summarises a segment: flags as tcpdump writes them ("S.",
// "P.", "F."), sequence and acknowledgement numbers, window, length.
func appendTCP(b []byte, t *layers.TCP) []byte {
	b = append(b, '[')
	for _, f := range []struct {
		on bool
		c  byte
	}{{t.FIN, 'F'}, {t.SYN, 'S'}, {t.RST, 'R'}, {t.PSH, 'P'}, {t.URG, 'U'}, {t.ECE, 'E'}, {t.CWR, 'W'}, {t.ACK, '.'}} {
		if f.on {
			b = append(b, f.c)
		}
	}
	if !(t.FIN || t.SYN || t.RST || t.PSH || t.URG || t.ECE || t.CWR || t.ACK) {
		b = append(b, "none"...)
	}
	b = append(b, ']')
	n := len(t.Payload)
	if t.SYN || t.FIN || t.RST || n > 0 {
		b = append(b, " seq "...)
		b = strconv.AppendUint(b, uint64(t.Seq), 10)
	}
	if t.ACK {
		b = append(b, " ack "...)
		b = strconv.AppendUint(b, uint64(t.Ack), 10)
	}
	b = append(b, " win "...)
	b = strconv.AppendUint(b, uint64(t.Window), 10)
	b = append(b, " len "...)
	return strconv.AppendInt(b, int64(n), 10)
}
