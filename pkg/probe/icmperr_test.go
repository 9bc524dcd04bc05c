package probe

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// ipv4 builds an IPv4 header of 20 bytes for proto from src to dst.
func ipv4(src, dst string, proto byte, ttl byte) []byte {
	h := make([]byte, 20)
	h[0], h[8], h[9] = 0x45, ttl, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return h
}

func TestParseStack4(t *testing.T) {
	request := echoMessage(false, 7, 9, []byte("cookie"))
	if inetChecksum(request) != 0 {
		t.Fatalf("echo request checksum does not verify")
	}
	reply := append(ipv4("10.0.0.2", "10.0.0.1", 1, 63), echoMessage(false, 7, 9, []byte("cookie"))...)
	reply[20] = 0 // echo reply
	m, ok := parseStack4(reply)
	if !ok || !m.reply || m.id != 7 || m.seq != 9 || m.ttl != 63 || string(m.payload) != "cookie" || m.size != 14 {
		t.Fatalf("reply: %+v, %v", m, ok)
	}
	// A router's "net unreachable", quoting our request.
	quoted := append(ipv4("10.0.0.1", "10.3.0.1", 1, 63), request[:8]...)
	icmp := append([]byte{3, 0, 0, 0, 0, 0, 0, 0}, quoted...)
	m, ok = parseStack4(append(ipv4("10.1.0.254", "10.0.0.1", 1, 64), icmp...))
	if !ok || m.reply || m.id != 7 || m.seq != 9 || m.dst != netip.MustParseAddr("10.3.0.1") || m.err == nil {
		t.Fatalf("error: %+v, %v", m, ok)
	}
	m.err.FromNode = "r1"
	if got, want := m.err.String(), "r1 (10.1.0.254): destination net unreachable"; got != want {
		t.Fatalf("error text %q, want %q", got, want)
	}
	// Fragmentation needed carries the MTU.
	icmp = append([]byte{3, 4, 0, 0, 0, 0, 0x05, 0xdc}, quoted...)
	m, _ = parseStack4(append(ipv4("10.1.0.254", "10.0.0.1", 1, 64), icmp...))
	if got, want := m.err.String(), "10.1.0.254: fragmentation needed and DF set (mtu 1500)"; got != want {
		t.Fatalf("error text %q, want %q", got, want)
	}
	// A routing loop's "time exceeded", and a firewall's "port
	// unreachable" (nft reject).
	for _, tc := range []struct {
		typ, code byte
		want      string
	}{
		{11, 0, "10.1.0.254: time to live exceeded (a routing loop, or too many hops)"},
		{3, 3, "10.1.0.254: destination port unreachable"},
		{3, 13, "10.1.0.254: communication administratively prohibited (a firewall rejected it)"},
	} {
		icmp = append([]byte{tc.typ, tc.code, 0, 0, 0, 0, 0, 0}, quoted...)
		m, ok = parseStack4(append(ipv4("10.1.0.254", "10.0.0.1", 1, 64), icmp...))
		if !ok || m.err == nil || m.err.String() != tc.want {
			t.Errorf("icmp %d/%d: %+v %v, want %q", tc.typ, tc.code, m.err, ok, tc.want)
		}
	}
	// Someone else's echo request, or an error quoting a UDP datagram,
	// is not ours.
	if _, ok := parseStack4(append(ipv4("10.0.0.2", "10.0.0.1", 1, 64), request...)); ok {
		t.Fatalf("an echo request was taken for an answer")
	}
	udp := append(ipv4("10.0.0.1", "10.3.0.1", 17, 63), make([]byte, 8)...)
	if _, ok := parseStack4(append(ipv4("10.1.0.254", "10.0.0.1", 1, 64), append([]byte{3, 0, 0, 0, 0, 0, 0, 0}, udp...)...)); ok {
		t.Fatalf("an error quoting UDP was taken for ours")
	}
}

func TestParseStack6(t *testing.T) {
	from := netip.MustParseAddr("fd01::fe")
	reply := echoMessage(true, 7, 9, []byte("cookie"))
	reply[0] = 129
	m, ok := parseStack6(reply, netip.MustParseAddr("fd03::1"), 62)
	if !ok || !m.reply || m.id != 7 || m.seq != 9 || m.ttl != 62 || string(m.payload) != "cookie" {
		t.Fatalf("reply: %+v, %v", m, ok)
	}
	inner := make([]byte, 40)
	inner[0], inner[6] = 0x60, 58
	dst := netip.MustParseAddr("fd03::1").As16()
	copy(inner[24:], dst[:])
	inner = append(inner, echoMessage(true, 7, 9, nil)...)
	tooBig := make([]byte, 8)
	tooBig[0] = 2
	binary.BigEndian.PutUint32(tooBig[4:], 1280)
	m, ok = parseStack6(append(tooBig, inner...), from, -1)
	if !ok || m.err == nil || m.dst != netip.MustParseAddr("fd03::1") || m.seq != 9 {
		t.Fatalf("error: %+v, %v", m, ok)
	}
	if got, want := m.err.String(), "fd01::fe: packet too big (mtu 1280)"; got != want {
		t.Fatalf("error text %q, want %q", got, want)
	}
	noRoute := append([]byte{1, 0, 0, 0, 0, 0, 0, 0}, inner...)
	m, _ = parseStack6(noRoute, from, -1)
	if got, want := m.err.Text(), "no route to destination"; got != want {
		t.Fatalf("error text %q, want %q", got, want)
	}
}
