package node

import (
	"net"
	"testing"
)

// TestListening: a TCP listener and a bound UDP socket, IPv4 and IPv6,
// are seen in their namespace and only there; a port nothing holds,
// or a UDP port asked for as TCP, is not.
func TestListening(t *testing.T) {
	needRoot(t)
	ns, _ := newNS(t, "ls")
	other, _ := newNS(t, "lo")
	if err := ns.Do(func() error {
		l4, err := net.Listen("tcp4", "0.0.0.0:8080")
		if err != nil {
			return err
		}
		t.Cleanup(func() { l4.Close() })
		l6, err := net.Listen("tcp6", "[::]:8443")
		if err != nil {
			return err
		}
		t.Cleanup(func() { l6.Close() })
		u, err := net.ListenPacket("udp4", "0.0.0.0:5353")
		if err != nil {
			return err
		}
		t.Cleanup(func() { u.Close() })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ns    *Namespace
		proto string
		port  int
		want  bool
	}{
		{ns, "tcp", 8080, true},
		{ns, "tcp", 8443, true},
		{ns, "udp", 5353, true},
		{ns, "tcp", 5353, false},
		{ns, "udp", 8080, false},
		{ns, "tcp", 80, false},
		{other, "tcp", 8080, false},
		{other, "udp", 5353, false},
	} {
		got, err := Listening(c.ns.Fd, c.proto, c.port)
		if err != nil || got != c.want {
			t.Errorf("Listening(%s, %s/%d) = %v, %v; want %v", c.ns.Name, c.proto, c.port, got, err, c.want)
		}
	}
}
