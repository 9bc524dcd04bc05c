package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// appProto is an application protocol the summary names.
type appProto uint8

const (
	appNone appProto = iota
	appDNS
	appDHCP
	appDHCP6
	appOSPF
	appBGP
)

func (a appProto) String() string {
	return [...]string{"", "DNS", "DHCP", "DHCP6", "OSPF", "BGP"}[a]
}

// Well-known ports and protocol numbers of the application protocols.
const (
	portDNS        = 53
	portMDNS       = 5353
	portDHCPServer = 67
	portDHCPClient = 68
	portDHCP6Cli   = 546
	portDHCP6Srv   = 547
	portBGP        = 179
	protoOSPF      = 89
)

// application recognises the application protocol of a decoded packet
// by its ports (or, for OSPF, its protocol number) and a look at its
// payload; appNone when it is none that topo names, or does not parse
// as one.
func (d *decoded) application() appProto {
	if d.fragment {
		return appNone
	}
	if d.proto == protoOSPF && len(d.ipPayload) >= 12 {
		return appOSPF
	}
	sp, dp, ok := d.ports()
	if !ok {
		return appNone
	}
	either := func(ports ...uint16) bool {
		for _, p := range ports {
			if sp == p || dp == p {
				return true
			}
		}
		return false
	}
	switch {
	case d.has&hasTCP != 0:
		if either(portBGP) && isBGP(d.tcp.Payload) {
			return appBGP
		}
	case either(portDNS, portMDNS):
		return appDNS
	case either(portDHCPServer, portDHCPClient) && d.has&hasIP4 != 0:
		return appDHCP
	case either(portDHCP6Cli, portDHCP6Srv) && d.has&hasIP6 != 0:
		return appDHCP6
	}
	return appNone
}

// appendApp summarises the application message of a packet that
// application recognised; a message that does not decode is marked
// cut short.
func appendApp(b []byte, d *decoded, app appProto) []byte {
	switch app {
	case appDNS:
		var m layers.DNS
		if m.DecodeFromBytes(d.udp.Payload, gopacket.NilDecodeFeedback) != nil {
			return append(b, "[|dns]"...)
		}
		return appendDNS(b, &m)
	case appDHCP:
		var m layers.DHCPv4
		if m.DecodeFromBytes(d.udp.Payload, gopacket.NilDecodeFeedback) != nil {
			return append(b, "[|dhcp]"...)
		}
		return appendDHCP(b, &m)
	case appDHCP6:
		var m layers.DHCPv6
		if m.DecodeFromBytes(d.udp.Payload, gopacket.NilDecodeFeedback) != nil {
			return append(b, "[|dhcp6]"...)
		}
		return fmt.Appendf(b, "%v xid 0x%x", m.MsgType, m.TransactionID)
	case appOSPF:
		return appendOSPF(b, d.ipPayload)
	case appBGP:
		return appendBGP(b, d.tcp.Payload)
	}
	return b
}

// appendDNS summarises a DNS message: "query 0x1a2b A example.com", or
// for a response its answers (at most three) or its error.
func appendDNS(b []byte, m *layers.DNS) []byte {
	kind := "query"
	if m.QR {
		kind = "response"
	}
	b = fmt.Appendf(b, "%s 0x%04x", kind, m.ID)
	if len(m.Questions) > 0 {
		q := m.Questions[0]
		b = fmt.Appendf(b, " %v %s", q.Type, q.Name)
	}
	if !m.QR {
		return b
	}
	if m.ResponseCode != layers.DNSResponseCodeNoErr {
		return fmt.Appendf(b, " %v", m.ResponseCode)
	}
	for i, a := range m.Answers {
		if i == 3 {
			return fmt.Appendf(b, " +%d", len(m.Answers)-3)
		}
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		switch {
		case a.IP != nil:
			b = fmt.Appendf(b, "%s%v", sep, a.IP)
		case a.CNAME != nil:
			b = fmt.Appendf(b, "%sCNAME %s", sep, a.CNAME)
		case a.PTR != nil:
			b = fmt.Appendf(b, "%sPTR %s", sep, a.PTR)
		default:
			b = fmt.Appendf(b, "%s%v", sep, a.Type)
		}
	}
	return b
}

// appendDHCP summarises a DHCP message by its type, the address it
// offers or asks for, its transaction id and the client's MAC.
func appendDHCP(b []byte, m *layers.DHCPv4) []byte {
	typ, asked := "", netip.Addr{}
	for _, o := range m.Options {
		switch {
		case o.Type == layers.DHCPOptMessageType && len(o.Data) == 1:
			typ = layers.DHCPMsgType(o.Data[0]).String()
		case o.Type == layers.DHCPOptRequestIP && len(o.Data) == 4:
			asked = netip.AddrFrom4([4]byte(o.Data))
		}
	}
	if typ == "" {
		typ = "BOOTP " + m.Operation.String()
	}
	b = append(b, typ...)
	if yours := addrOf(m.YourClientIP); yours.IsValid() && !yours.IsUnspecified() {
		b = append(b, ' ')
		b = yours.AppendTo(b)
	} else if asked.IsValid() {
		b = append(b, ' ')
		b = asked.AppendTo(b)
	}
	return fmt.Appendf(b, " xid 0x%08x client %v", m.Xid, m.ClientHWAddr)
}

// ospfTypes names the OSPF packet types (RFC 2328, RFC 5340).
var ospfTypes = []string{1: "Hello", 2: "DB Description", 3: "LS Request", 4: "LS Update", 5: "LS Ack"}

// appendOSPF summarises an OSPF packet from its common header: version,
// type, router and area.
func appendOSPF(b []byte, p []byte) []byte {
	typ := fmt.Sprintf("type %d", p[1])
	if int(p[1]) < len(ospfTypes) && ospfTypes[p[1]] != "" {
		typ = ospfTypes[p[1]]
	}
	router := netip.AddrFrom4([4]byte(p[4:8]))
	area := netip.AddrFrom4([4]byte(p[8:12]))
	return fmt.Appendf(b, "v%d %s router %s area %s", p[0], typ, router, area)
}

// bgpMarker starts every BGP message (RFC 4271).
var bgpMarker = bytes.Repeat([]byte{0xff}, 16)

// bgpTypes names the BGP message types (RFC 4271, RFC 2918).
var bgpTypes = []string{1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}

// isBGP reports whether p starts with a BGP message header.
func isBGP(p []byte) bool { return len(p) >= 19 && bytes.Equal(p[:16], bgpMarker) }

// appendBGP names the BGP messages of a segment ("OPEN, KEEPALIVE")
// and its length.
func appendBGP(b []byte, p []byte) []byte {
	total := len(p)
	for i := 0; isBGP(p); i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		if i == 4 {
			b = append(b, "..."...)
			break
		}
		typ := p[18]
		if int(typ) < len(bgpTypes) && bgpTypes[typ] != "" {
			b = append(b, bgpTypes[typ]...)
		} else {
			b = fmt.Appendf(b, "type %d", typ)
		}
		n := int(binary.BigEndian.Uint16(p[16:18]))
		if n < 19 || n > len(p) {
			break
		}
		p = p[n:]
	}
	return fmt.Appendf(b, " len %d", total)
}
