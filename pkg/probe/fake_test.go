package probe

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// peer answers frames like the kernel of a directly attached node
// would. Its knobs break it in the ways the tests need.
type peer struct {
	ip4, ip6 netip.Addr
	mac      net.HardwareAddr
	ttl      uint8
	dropARP  bool // ignore ARP requests and neighbour solicitations
	noEcho   bool // ignore echo requests (icmp_echo_ignore_all)
	idDelta  uint16
	seqDelta uint16
	// noise is sent before every real answer: frames a client must ignore.
	noise [][]byte
	// enobufs is how many writes fail as if the kernel had no room to
	// queue them (ENOBUFS) before they go through.
	enobufs int
}

// fakeConn is a FrameConn whose writes are answered by a peer.
type fakeConn struct {
	p      *peer
	in     chan []byte
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	deadline time.Time
	written  [][]byte
}

func newFakeConn(p *peer) *fakeConn {
	return &fakeConn{p: p, in: make(chan []byte, 1024), closed: make(chan struct{})}
}

func (c *fakeConn) ReadFrame(b []byte) (int, error) {
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case f := <-c.in:
		return copy(b, f), nil
	case <-c.closed:
		return 0, os.ErrClosed
	case <-timeout:
		return 0, os.ErrDeadlineExceeded
	}
}

func (c *fakeConn) WriteFrame(b []byte) error {
	select {
	case <-c.closed:
		return os.ErrClosed
	default:
	}
	f := append([]byte(nil), b...)
	c.mu.Lock()
	if c.p != nil && c.p.enobufs > 0 {
		c.p.enobufs--
		c.mu.Unlock()
		return syscall.ENOBUFS
	}
	c.written = append(c.written, f)
	c.mu.Unlock()
	if c.p != nil {
		for _, r := range c.p.answer(f) {
			c.in <- r
		}
	}
	return nil
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fakeConn) sent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.written...)
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// answer returns the frames the peer sends in response to f.
func (p *peer) answer(f []byte) [][]byte {
	pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if eth == nil {
		return nil
	}
	out := append([][]byte(nil), p.noise...)
	if a, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		if p.dropARP || a.Operation != layers.ARPRequest || !p.ip4.IsValid() || netip.AddrFrom4([4]byte(a.DstProtAddress)) != p.ip4 {
			return out
		}
		own := p.ip4.As4()
		return append(out, serialize(
			&layers.Ethernet{SrcMAC: p.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: layers.ARPReply, SourceHwAddress: p.mac, SourceProtAddress: own[:],
				DstHwAddress: a.SourceHwAddress, DstProtAddress: a.SourceProtAddress}))
	}
	if ns, ok := pkt.Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation); ok {
		ip6 := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if p.dropARP || !p.ip6.IsValid() || !ns.TargetAddress.Equal(p.ip6.AsSlice()) || ip6.HopLimit != 255 {
			return out
		}
		ip := &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6, SrcIP: p.ip6.AsSlice(), DstIP: ip6.SrcIP}
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborAdvertisement, 0)}
		icmp.SetNetworkLayerForChecksum(ip)
		return append(out, serialize(
			&layers.Ethernet{SrcMAC: p.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeIPv6}, ip, icmp,
			&layers.ICMPv6NeighborAdvertisement{Flags: 0x60, TargetAddress: p.ip6.AsSlice(),
				Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: p.mac}}}))
	}
	if p.noEcho {
		return out
	}
	if icmp, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok && icmp.TypeCode.Type() == layers.ICMPv4TypeEchoRequest {
		ip4 := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ip4.DstIP.Equal(p.ip4.AsSlice()) || !bytes.Equal(eth.DstMAC, p.mac) {
			return out
		}
		return append(out, serialize(
			&layers.Ethernet{SrcMAC: p.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeIPv4},
			&layers.IPv4{Version: 4, TTL: p.ttl, Protocol: layers.IPProtocolICMPv4, SrcIP: ip4.DstIP, DstIP: ip4.SrcIP},
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: icmp.Id + p.idDelta, Seq: icmp.Seq + p.seqDelta},
			gopacket.Payload(icmp.Payload)))
	}
	if echo, ok := pkt.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo); ok {
		icmp := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
		ip6 := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if icmp.TypeCode.Type() != layers.ICMPv6TypeEchoRequest || !ip6.DstIP.Equal(p.ip6.AsSlice()) || !bytes.Equal(eth.DstMAC, p.mac) {
			return out
		}
		ip := &layers.IPv6{Version: 6, HopLimit: p.ttl, NextHeader: layers.IPProtocolICMPv6, SrcIP: ip6.DstIP, DstIP: ip6.SrcIP}
		reply := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoReply, 0)}
		reply.SetNetworkLayerForChecksum(ip)
		return append(out, serialize(
			&layers.Ethernet{SrcMAC: p.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeIPv6}, ip, reply,
			&layers.ICMPv6Echo{Identifier: echo.Identifier + p.idDelta, SeqNumber: echo.SeqNumber + p.seqDelta},
			gopacket.Payload(echo.Payload)))
	}
	return out
}
