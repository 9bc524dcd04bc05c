package capture

import (
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// expr is a parsed filter expression, true for the frames it selects.
type expr interface {
	match(d *decoded) bool
}

type (
	andExpr struct{ a, b expr }
	orExpr  struct{ a, b expr }
	notExpr struct{ e expr }
	// protoExpr is a protocol word (arp, icmp, dns...).
	protoExpr struct{ word string }
	// portExpr is [src|dst] port N, over TCP and UDP.
	portExpr struct {
		side side
		port uint16
	}
	// hostExpr is [src|dst] host A or net P: the IP source or
	// destination, or an ARP sender or target, in one of the prefixes
	// (a host is a /32 or /128; a node name may give several).
	hostExpr struct {
		side     side
		prefixes []netip.Prefix
	}
)

// side says which end of a packet a host or port qualifier is about.
type side uint8

const (
	either side = iota
	srcSide
	dstSide
)

func (e andExpr) match(d *decoded) bool { return e.a.match(d) && e.b.match(d) }
func (e orExpr) match(d *decoded) bool  { return e.a.match(d) || e.b.match(d) }
func (e notExpr) match(d *decoded) bool { return !e.e.match(d) }

// protoWords are the protocol words of the filter, in the order the
// help lists them.
var protoWords = []string{"arp", "ip", "ip6", "icmp", "icmp6", "tcp", "udp", "dns", "dhcp", "dhcp6", "ospf", "bgp"}

func (e protoExpr) match(d *decoded) bool {
	ip := d.has&(hasIP4|hasIP6) != 0
	switch e.word {
	case "arp":
		return d.has&hasARP != 0
	case "ip":
		return d.has&hasIP4 != 0
	case "ip6":
		return d.has&hasIP6 != 0
	case "icmp":
		return d.has&hasIP4 != 0 && d.proto == layers.IPProtocolICMPv4
	case "icmp6":
		return d.has&hasIP6 != 0 && d.proto == layers.IPProtocolICMPv6
	case "tcp":
		return ip && d.proto == layers.IPProtocolTCP
	case "udp":
		return ip && d.proto == layers.IPProtocolUDP
	case "ospf":
		return ip && d.proto == protoOSPF
	case "dns":
		return hasPort(d, either, portDNS) || (d.has&hasUDP != 0 && hasPort(d, either, portMDNS))
	case "dhcp":
		return d.has&(hasUDP|hasIP4) == hasUDP|hasIP4 && (hasPort(d, either, portDHCPServer) || hasPort(d, either, portDHCPClient))
	case "dhcp6":
		return d.has&(hasUDP|hasIP6) == hasUDP|hasIP6 && (hasPort(d, either, portDHCP6Cli) || hasPort(d, either, portDHCP6Srv))
	case "bgp":
		return d.has&hasTCP != 0 && hasPort(d, either, portBGP)
	}
	return false
}

func (e portExpr) match(d *decoded) bool { return hasPort(d, e.side, e.port) }

// hasPort reports whether a TCP or UDP packet has port p on side s.
func hasPort(d *decoded, s side, p uint16) bool {
	sp, dp, ok := d.ports()
	return ok && (s != dstSide && sp == p || s != srcSide && dp == p)
}

func (e hostExpr) match(d *decoded) bool {
	src, dst := d.addrs()
	for _, p := range e.prefixes {
		if e.side != dstSide && src.IsValid() && p.Contains(src) ||
			e.side != srcSide && dst.IsValid() && p.Contains(dst) {
			return true
		}
	}
	return false
}
