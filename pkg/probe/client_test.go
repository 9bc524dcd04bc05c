package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	ourMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	peerMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	ours4   = netip.MustParseAddr("10.0.0.1")
	peer4   = netip.MustParseAddr("10.0.0.2")
	ours6   = netip.MustParseAddr("fd00::1")
	peer6   = netip.MustParseAddr("fd00::2")
)

func newPeer() *peer {
	return &peer{ip4: peer4, ip6: peer6, mac: peerMAC, ttl: 64}
}

// newTestClient returns a Client on a fake connection to p, with a clock
// that advances 1ms per reading, so RTTs are exact.
func newTestClient(t *testing.T, p *peer) (*Client, *fakeConn) {
	t.Helper()
	conn := newFakeConn(p)
	c := New(Interface{Name: "eth0", Index: 2, MAC: ourMAC}, conn)
	var ticks atomic.Int64
	base := time.Unix(1e9, 0)
	c.nowFn = func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	c.Retry = 10 * time.Millisecond
	t.Cleanup(func() { c.Close() })
	return c, conn
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		src    netip.Addr
		target netip.Addr
	}{
		{"arp", ours4, peer4},
		{"ndp", ours6, peer6},
		{"arp ipv4-mapped", netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("::ffff:10.0.0.2")},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c, conn := newTestClient(t, newPeer())
			n, err := c.Resolve(ctxTimeout(t, 5*time.Second), tc.src, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(n.MAC, peerMAC) || n.Iface != "eth0" || n.RTT != time.Millisecond || n.IP != tc.target.Unmap() {
				t.Fatalf("got %+v, want MAC %s on eth0 after 1ms", n, peerMAC)
			}
			if len(conn.sent()) != 1 {
				t.Fatalf("sent %d requests, want 1", len(conn.sent()))
			}
		})
	}
}

func TestARPRequestFrame(t *testing.T) {
	f, err := arpRequest(Interface{MAC: ourMAC}, ours4, peer4, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	a := pkt.Layer(layers.LayerTypeARP).(*layers.ARP)
	if !bytes.Equal(eth.DstMAC, broadcast) || !bytes.Equal(eth.SrcMAC, ourMAC) || a.Operation != layers.ARPRequest ||
		!bytes.Equal(a.SourceHwAddress, ourMAC) || !bytes.Equal(a.SourceProtAddress, ours4.AsSlice()) ||
		!bytes.Equal(a.DstProtAddress, peer4.AsSlice()) || !bytes.Equal(a.DstHwAddress, make([]byte, 6)) {
		t.Fatalf("bad ARP request: %v", pkt)
	}
}

func TestNeighborSolicitationFrame(t *testing.T) {
	f, err := neighborSolicitation(Interface{MAC: ourMAC}, ours6, netip.MustParseAddr("fd00::12:3456"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
	ns := pkt.Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation)
	if eth.DstMAC.String() != "33:33:ff:12:34:56" || ip.DstIP.String() != "ff02::1:ff12:3456" || ip.HopLimit != 255 ||
		ns.TargetAddress.String() != "fd00::12:3456" || len(ns.Options) != 1 ||
		ns.Options[0].Type != layers.ICMPv6OptSourceAddress || !bytes.Equal(ns.Options[0].Data, ourMAC) {
		t.Fatalf("bad neighbour solicitation: %v", pkt)
	}
	if _, err := arpRequest(Interface{MAC: ourMAC}, ours6, peer6, nil); err == nil {
		t.Fatal("arpRequest accepted IPv6")
	}
}

func TestResolveNoAnswer(t *testing.T) {
	for _, target := range []netip.Addr{peer4, peer6} {
		t.Run(target.String(), func(t *testing.T) {
			p := newPeer()
			p.dropARP = true
			c, conn := newTestClient(t, p)
			src := ours4
			if target.Is6() {
				src = ours6
			}
			_, err := c.Resolve(ctxTimeout(t, 100*time.Millisecond), src, target)
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != ReasonARP || !errors.Is(err, errNoReply) {
				t.Fatalf("err = %v, want *Error with reason arp", err)
			}
			if len(conn.sent()) < 2 {
				t.Fatalf("sent %d requests, want retries", len(conn.sent()))
			}
		})
	}
}

func TestResolveIgnoresOtherAnswers(t *testing.T) {
	p := newPeer()
	p.ip4 = netip.MustParseAddr("10.0.0.99") // answers for another address only
	c, _ := newTestClient(t, p)
	if _, err := c.Resolve(ctxTimeout(t, 50*time.Millisecond), ours4, peer4); ReasonOf(err) != ReasonARP {
		t.Fatalf("err = %v, want reason arp", err)
	}
}

func TestResolveCancelledIsNotARP(t *testing.T) {
	p := newPeer()
	p.dropARP = true
	c, _ := newTestClient(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Resolve(ctx, ours4, peer4); ReasonOf(err) != ReasonError || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want reason error wrapping context.Canceled", err)
	}
}

func TestResolveNoL2(t *testing.T) {
	c := New(Interface{Name: "lo", MAC: make(net.HardwareAddr, 6)}, newFakeConn(nil))
	defer c.Close()
	n, err := c.Resolve(context.Background(), ours4, ours4)
	if err != nil || !bytes.Equal(n.MAC, make([]byte, 6)) {
		t.Fatalf("got %v, %v; want zero MAC at once", n, err)
	}
}

func echoReq(dst netip.Addr, seq uint16) EchoRequest {
	src := ours4
	if dst.Is6() {
		src = ours6
	}
	return EchoRequest{Src: src, Dst: dst, NextHop: peerMAC, ID: 0x1234, Seq: seq, Payload: []byte("topo-cookie-0123")}
}

func TestEcho(t *testing.T) {
	noise := func() [][]byte {
		// An echo reply for someone else and a stray ARP reply.
		other := newPeer()
		other.ip4 = netip.MustParseAddr("10.0.0.7")
		other.mac = net.HardwareAddr{2, 0, 0, 0, 0, 7}
		f, _ := echoFrame(Interface{MAC: ourMAC}, EchoRequest{Src: ours4, Dst: other.ip4, NextHop: other.mac, ID: 0x1234, Seq: 7, Payload: []byte("topo-cookie-0123")})
		arp, _ := arpRequest(Interface{MAC: ourMAC}, ours4, other.ip4, nil)
		return append(other.answer(f), other.answer(arp)...)
	}
	for _, tc := range []struct {
		desc   string
		dst    netip.Addr
		mod    func(*peer)
		ttl    int
		reason Reason
		rtt    time.Duration // on the fake clock: 1ms per frame read
	}{
		{desc: "v4 answers", dst: peer4, ttl: 64},
		{desc: "v6 answers", dst: peer6, ttl: 64},
		{desc: "v4 ttl after a router", dst: peer4, mod: func(p *peer) { p.ttl = 63 }, ttl: 63},
		{desc: "v6 hop limit", dst: peer6, mod: func(p *peer) { p.ttl = 255 }, ttl: 255},
		{desc: "v4 unrelated frames first", dst: peer4, mod: func(p *peer) { p.noise = noise() }, ttl: 64, rtt: 3 * time.Millisecond},
		{desc: "v4 silent", dst: peer4, mod: func(p *peer) { p.noEcho = true }, reason: ReasonICMP},
		{desc: "v6 silent", dst: peer6, mod: func(p *peer) { p.noEcho = true }, reason: ReasonICMP},
		{desc: "v4 wrong id", dst: peer4, mod: func(p *peer) { p.idDelta = 1 }, reason: ReasonICMP},
		{desc: "v4 wrong seq", dst: peer4, mod: func(p *peer) { p.seqDelta = 1 }, reason: ReasonICMP},
		{desc: "v6 wrong id", dst: peer6, mod: func(p *peer) { p.idDelta = 1 }, reason: ReasonICMP},
		{desc: "v6 wrong seq", dst: peer6, mod: func(p *peer) { p.seqDelta = 1 }, reason: ReasonICMP},
		// The kernel had no room twice: sent on the third try.
		{desc: "v4 no buffer space, then sent", dst: peer4, mod: func(p *peer) { p.enobufs = 2 }, ttl: 64},
		// Never sent within the time: no verdict on the network.
		{desc: "v4 no buffer space throughout", dst: peer4, mod: func(p *peer) { p.enobufs = 1 << 20 }, reason: ReasonError},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p := newPeer()
			if tc.mod != nil {
				tc.mod(p)
			}
			c, _ := newTestClient(t, p)
			r, err := c.Echo(ctxTimeout(t, 100*time.Millisecond), echoReq(tc.dst, 7))
			if ReasonOf(err) != tc.reason {
				t.Fatalf("err = %v, want reason %q", err, tc.reason)
			}
			if err != nil {
				return
			}
			if tc.rtt == 0 {
				tc.rtt = time.Millisecond
			}
			if r.TTL != tc.ttl || r.RTT != tc.rtt || r.Seq != 7 || r.From != tc.dst || r.Size != 8+16 {
				t.Fatalf("reply %+v, want ttl %d, rtt %v, seq 7, from %s, size 24", r, tc.ttl, tc.rtt, tc.dst)
			}
		})
	}
}

func TestEchoWrongPayload(t *testing.T) {
	p := newPeer()
	c, conn := newTestClient(t, p)
	// Another process with the same ID and seq but another cookie.
	w := &echoWaiter{src: ours4, dst: peer4, payload: []byte("mine"), ch: make(chan echoReply, 1)}
	unwatch, err := c.watchEcho(echoKey{1, 1}, w)
	if err != nil {
		t.Fatal(err)
	}
	defer unwatch()
	if err := conn.WriteFrame(mustEchoFrame(t, EchoRequest{Src: ours4, Dst: peer4, NextHop: peerMAC, ID: 1, Seq: 1, Payload: []byte("theirs")})); err != nil {
		t.Fatal(err)
	}
	// A matching one is delivered, so the first one was seen and dropped.
	if err := conn.WriteFrame(mustEchoFrame(t, EchoRequest{Src: ours4, Dst: peer4, NextHop: peerMAC, ID: 1, Seq: 1, Payload: []byte("mine")})); err != nil {
		t.Fatal(err)
	}
	if r := <-w.ch; r.size != 4 {
		t.Fatalf("delivered a reply with %d bytes of data, want the 4-byte \"mine\"", r.size)
	}
}

func mustEchoFrame(t *testing.T, req EchoRequest) []byte {
	t.Helper()
	f, err := echoFrame(Interface{MAC: ourMAC}, req)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEchoConcurrentOutOfOrder(t *testing.T) {
	// The peer holds every reply back and sends them all at once,
	// last first.
	conn := &holdConn{fakeConn: newFakeConn(newPeer()), n: 200}
	c := New(Interface{Name: "eth0", MAC: ourMAC}, conn)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make([]error, conn.n)
	for i := range conn.n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Echo(ctxTimeout(t, 30*time.Second), echoReq(peer4, uint16(i)))
			if err == nil && r.Seq != uint16(i) {
				err = fmt.Errorf("seq %d got reply for %d", i, r.Seq)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// holdConn releases the peer's answers only after n writes, reversed.
type holdConn struct {
	*fakeConn
	n    int
	mu   sync.Mutex
	held [][]byte
}

func (h *holdConn) WriteFrame(b []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = append(h.held, h.p.answer(b)...)
	if len(h.held) == h.n {
		for i := len(h.held) - 1; i >= 0; i-- {
			h.in <- h.held[i]
		}
	}
	return nil
}

func TestEchoDuplicateInFlight(t *testing.T) {
	p := newPeer()
	p.noEcho = true
	c, _ := newTestClient(t, p)
	ctx := ctxTimeout(t, 5*time.Second)
	started := make(chan struct{})
	go func() {
		close(started)
		c.Echo(ctx, echoReq(peer4, 1))
	}()
	<-started
	// Whichever runs second must be refused, not silently share replies.
	errc := make(chan error, 1)
	go func() { _, err := c.Echo(ctxTimeout(t, 50*time.Millisecond), echoReq(peer4, 1)); errc <- err }()
	if err := <-errc; err == nil {
		t.Fatal("second echo with the same id/seq succeeded")
	}
}

func TestCloseUnblocksWaiters(t *testing.T) {
	p := newPeer()
	p.dropARP = true
	c, _ := newTestClient(t, p)
	errc := make(chan error, 1)
	go func() { _, err := c.Resolve(context.Background(), ours4, peer4); errc <- err }()
	c.Close()
	if err := <-errc; ReasonOf(err) != ReasonError {
		t.Fatalf("err = %v, want reason error after Close", err)
	}
	if _, err := c.Echo(context.Background(), echoReq(peer4, 1)); !errors.Is(err, errClosed) {
		t.Fatalf("echo after Close: %v, want errClosed", err)
	}
}

func TestDecodeIgnores(t *testing.T) {
	req4 := mustEchoFrame(t, echoReq(peer4, 1))
	req6 := mustEchoFrame(t, echoReq(peer6, 1))
	arpReq, _ := arpRequest(Interface{MAC: ourMAC}, ours4, peer4, nil)
	ns, _ := neighborSolicitation(Interface{MAC: ourMAC}, ours6, peer6, nil)
	for _, tc := range []struct {
		desc  string
		frame []byte
	}{
		{"echo request", req4},
		{"echo6 request", req6},
		{"arp request", arpReq},
		{"neighbour solicitation", ns},
		{"truncated", req4[:20]},
		{"empty", nil},
		{"garbage", bytes.Repeat([]byte{0xff}, 80)},
	} {
		if in, ok := newDecoder().decode(tc.frame); ok {
			t.Errorf("%s: decoded as %+v, want ignored", tc.desc, in)
		}
	}
}

func TestErrorText(t *testing.T) {
	err := fmt.Errorf("ping: %w", &Error{Reason: ReasonARP, Op: "arp", Where: "lab-h1:eth0", Addr: peer4, Err: errNoReply})
	if got, want := err.Error(), "ping: arp 10.0.0.2 at lab-h1:eth0: no reply"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if ReasonOf(err) != ReasonARP || ReasonOf(nil) != ReasonNone || ReasonOf(errors.New("x")) != ReasonError {
		t.Fatal("ReasonOf misclassifies")
	}
}
