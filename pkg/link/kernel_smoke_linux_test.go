package link

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestNetemKernelSmoke checks, with topo's own namespace and veth code,
// that the kernel delays packets with netem: two namespaces joined by a
// veth, 50ms of netem delay on one end, and the round trips of UDP
// echoes between them must take 50ms or more, most of them at most
// 60ms. It skips on a kernel without
// netem; `make test-kernel` runs it on Debian's stock kernel, which has
// it.
func TestNetemKernelSmoke(t *testing.T) {
	needRoot(t)
	const delay = 50 * time.Millisecond
	a, b := newNS(t, "sa"), newNS(t, "sb")
	if err := CreateVeth(VethSpec{A: a, B: b, AName: "eth0", BName: "eth0", Up: true}); err != nil {
		t.Fatal(err)
	}
	aAddr := netip.MustParsePrefix("10.99.0.1/24")
	bAddr := netip.MustParsePrefix("10.99.0.2/24")
	if err := AddAddr(a, "eth0", aAddr); err != nil {
		t.Fatal(err)
	}
	if err := AddAddr(b, "eth0", bAddr); err != nil {
		t.Fatal(err)
	}

	l, err := a.NL.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	q := netlink.NewNetem(netlink.QdiscAttrs{
		LinkIndex: l.Attrs().Index,
		Handle:    netlink.MakeHandle(1, 0),
		Parent:    netlink.HANDLE_ROOT,
	}, netlink.NetemQdiscAttrs{Latency: uint32(delay / time.Microsecond)})
	if err := a.NL.QdiscAdd(q); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
			t.Skipf("this kernel has no netem qdisc (adding one: %v); make test-kernel runs this test on Debian's stock kernel", err)
		}
		t.Fatalf("add netem qdisc to %s:eth0: %v", a.Name, err)
	}

	server := listenUDPIn(t, b, netip.AddrPortFrom(bAddr.Addr(), 0))
	client := listenUDPIn(t, a, netip.AddrPortFrom(aAddr.Addr(), 0))
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			n, from, err := server.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed at cleanup
			}
			_, _ = server.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { server.Close(); <-done })

	to := server.LocalAddr().(*net.UDPAddr).AddrPort()
	// The first datagram may meet a link whose qdisc is not active yet
	// and be dropped: resend until one comes back.
	if _, err := echo(client, to, 0, 5, time.Second); err != nil {
		t.Fatalf("no echo from %s:eth0 to %s:eth0: %v", a.Name, b.Name, err)
	}
	var rtts []time.Duration
	for i := range 9 {
		rtt, err := echo(client, to, byte(i+1), 1, 2*time.Second)
		if err != nil {
			t.Fatalf("echo %d: %v", i+1, err)
		}
		rtts = append(rtts, rtt)
	}
	t.Logf("round trips with %v of netem delay on %s:eth0: %v", delay, a.Name, rtts)
	slices.Sort(rtts)
	if rtts[0] < delay {
		t.Errorf("shortest round trip %v < %v: netem did not delay", rtts[0], delay)
	}
	// The lower quartile, not the median: a stalled scheduler (an
	// emulated VM on a loaded machine) holds up some echoes, but netem
	// adding more than the delay would hold up every one.
	if q1 := rtts[len(rtts)/4]; q1 > delay+10*time.Millisecond {
		t.Errorf("lower quartile of the round trips %v > %v", q1, delay+10*time.Millisecond)
	}
}

// listenUDPIn opens a UDP socket bound to addr inside ns (via ns.Do);
// it keeps referring to ns when used from any goroutine. Closed at
// cleanup.
func listenUDPIn(t *testing.T, ns *node.Namespace, addr netip.AddrPort) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := ns.Do(func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
		return err
	})
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo sends a one-byte datagram with seq to to, up to tries times,
// each waiting wait for the same byte to come back, and returns the
// round trip of the answered try.
func echo(c *net.UDPConn, to netip.AddrPort, seq byte, tries int, wait time.Duration) (time.Duration, error) {
	var err error
	buf := make([]byte, 64)
	for range tries {
		start := time.Now()
		if _, err = c.WriteToUDPAddrPort([]byte{seq}, to); err != nil {
			return 0, err
		}
		if err = c.SetReadDeadline(start.Add(wait)); err != nil {
			return 0, err
		}
		for {
			var n int
			n, _, err = c.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			if n == 1 && buf[0] == seq {
				return time.Since(start), nil
			}
		}
	}
	return 0, err
}
