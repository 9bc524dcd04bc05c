package probe

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// quoting4 builds what a raw IPv4 ICMP socket reads: an IP header from
// from, an ICMP error of typ/code, and the quoted IP header and first
// eight bytes of a proto packet src -> dst.
func quoting4(from string, typ, code int, proto byte, src, dst string) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	b := make([]byte, 20+8+20+8)
	b[0] = 0x45
	copy(b[12:16], netip.MustParseAddr(from).AsSlice())
	icmp := b[20:]
	icmp[0], icmp[1] = byte(typ), byte(code)
	binary.BigEndian.PutUint16(icmp[6:], 1400)
	inner := icmp[8:]
	inner[0], inner[9] = 0x45, proto
	copy(inner[12:16], s.Addr().AsSlice())
	copy(inner[16:20], d.Addr().AsSlice())
	binary.BigEndian.PutUint16(inner[20:], s.Port())
	binary.BigEndian.PutUint16(inner[22:], d.Port())
	return b
}

func TestParseQuoted4(t *testing.T) {
	q, ok := parseQuoted4(quoting4("10.0.2.2", 3, 13, 6, "10.0.1.10:40000", "10.0.3.80:80"))
	if !ok || q.proto != 6 || q.src.Port() != 40000 || q.dst != netip.MustParseAddrPort("10.0.3.80:80") ||
		q.err.From != netip.MustParseAddr("10.0.2.2") || q.err.Type != 3 || q.err.Code != 13 || q.err.MTU != 0 {
		t.Errorf("admin prohibited quoting TCP: %v %+v %+v", ok, q, q.err)
	}
	if q, ok := parseQuoted4(quoting4("10.0.2.2", 3, 4, 17, "10.0.1.10:5000", "10.0.3.80:53")); !ok || q.proto != 17 || q.err.MTU != 1400 || !q.err.TooBig() {
		t.Errorf("fragmentation needed quoting UDP: %v %+v", ok, q.err)
	}
	if _, ok := parseQuoted4(quoting4("10.0.2.2", 3, 3, 1, "10.0.1.10:0", "10.0.3.80:0")); ok {
		t.Error("an error quoting ICMP was taken for one quoting TCP or UDP")
	}
	if _, ok := parseQuoted4(quoting4("10.0.2.2", 0, 0, 6, "10.0.1.10:1", "10.0.3.80:2")); ok {
		t.Error("an echo reply was taken for an error")
	}
	if _, ok := parseQuoted4(quoting4("10.0.2.2", 3, 3, 6, "10.0.1.10:1", "10.0.3.80:2")[:40]); ok {
		t.Error("a truncated error was read")
	}
}

func TestParseQuoted6(t *testing.T) {
	b := make([]byte, 8+40+8)
	b[0], b[1] = 1, 4 // port unreachable
	inner := b[8:]
	inner[0], inner[6] = 0x60, 17
	copy(inner[8:24], netip.MustParseAddr("fd00:1::10").AsSlice())
	copy(inner[24:40], netip.MustParseAddr("fd00:2::10").AsSlice())
	binary.BigEndian.PutUint16(inner[40:], 5000)
	binary.BigEndian.PutUint16(inner[42:], 53)
	q, ok := parseQuoted6(b, netip.MustParseAddr("fd00:2::10"))
	if !ok || q.proto != 17 || q.src != netip.MustParseAddrPort("[fd00:1::10]:5000") || q.dst != netip.MustParseAddrPort("[fd00:2::10]:53") || !q.err.V6 || q.err.Text() != "port unreachable" {
		t.Errorf("port unreachable quoting UDP: %v %+v %+v", ok, q, q.err)
	}
	b[0], b[1] = 3, 0
	if q, ok := parseQuoted6(b, netip.MustParseAddr("fd00:9::1")); !ok || !q.err.TimeExceeded() {
		t.Errorf("hop limit exceeded: %v %+v", ok, q.err)
	}
}
