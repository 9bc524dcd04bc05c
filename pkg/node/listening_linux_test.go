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
		// The tables of /proc/net, for a kernel without socket
		// diagnostics, say the same.
		ports, err := listeningProc(c.ns.Fd, c.proto)
		if got = ports[c.port]; err != nil || got != c.want {
			t.Errorf("listeningProc(%s, %s/%d) = %v, %v; want %v", c.ns.Name, c.proto, c.port, got, err, c.want)
		}
	}
}

// TestProcPorts reads /proc/net tables as the kernel writes them: a TCP
// port counts only while listening (0A), a UDP one in any state.
func TestProcPorts(t *testing.T) {
	tcp := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0050 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
`)
	udp := []byte(`   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0
`)
	for _, c := range []struct {
		table []byte
		proto string
		port  int
		want  bool
	}{
		{tcp, "tcp", 8080, true},
		{tcp, "tcp", 80, false}, // established, not listening
		{tcp, "tcp", 443, false},
		{udp, "udp", 5353, true},
		{udp, "udp", 53, false},
		{nil, "tcp", 8080, false},
	} {
		ports := map[int]bool{}
		if procPorts(c.table, c.proto, ports); ports[c.port] != c.want {
			t.Errorf("procPorts(%s) has %d: %v, want %v", c.proto, c.port, ports[c.port], c.want)
		}
	}
}
