package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// EchoRequest describes one ICMP or ICMPv6 echo request.
type EchoRequest struct {
	// Src is the source address, an address of the sending node.
	Src netip.Addr
	// Dst is the destination; its family picks ICMP or ICMPv6.
	Dst netip.Addr
	// NextHop is the MAC the frame is sent to (the destination's, or
	// the gateway's).
	NextHop net.HardwareAddr
	// ID and Seq identify the request; the reply must carry them.
	ID, Seq uint16
	// TTL is the IPv4 TTL or IPv6 hop limit; 0 means 64.
	TTL uint8
	// Payload is the echo data; the reply must echo it back.
	Payload []byte
}

// EchoReply is a matched echo reply.
type EchoReply struct {
	// From is the address that answered.
	From netip.Addr `json:"from"`
	// Seq is the sequence number of the request answered.
	Seq uint16 `json:"seq"`
	// TTL is the IPv4 TTL or IPv6 hop limit of the reply as received.
	TTL int `json:"ttl"`
	// RTT is the time from sending the request to reading the reply.
	RTT time.Duration `json:"rtt_ns"`
	// Size is the ICMP message length (header and data), as ping shows.
	Size int `json:"size"`
}

// Echo sends one echo request and waits for the reply with the same
// source, ID, sequence number and payload until ctx ends; give ctx a
// deadline. No reply in time yields an *Error with ReasonICMP. Callable
// from any goroutine; concurrent requests need distinct (ID, Seq).
func (c *Client) Echo(ctx context.Context, req EchoRequest) (EchoReply, error) {
	req.Src, req.Dst = req.Src.Unmap(), req.Dst.Unmap()
	fail := func(r Reason, err error) (EchoReply, error) {
		return EchoReply{}, &Error{Reason: r, Op: "echo", Where: c.ifi.Name, Addr: req.Dst, Err: err}
	}
	frame, err := echoFrame(c.ifi, req)
	if err != nil {
		return fail(ReasonError, err)
	}
	w := &echoWaiter{src: req.Src, dst: req.Dst, payload: req.Payload, ch: make(chan echoReply, 1)}
	unwatch, err := c.watchEcho(echoKey{req.ID, req.Seq}, w)
	if err != nil {
		return fail(ReasonError, err)
	}
	defer unwatch()
	// A send the kernel refuses for want of queue room (ENOBUFS: the
	// frame never left) is tried again shortly, as long as ctx lasts;
	// any other send error ends the echo.
	var sent time.Time
	var sendErr error
	var resend *time.Timer
	send := func() error {
		sent = c.nowFn()
		err := c.conn.WriteFrame(frame)
		switch {
		case err == nil:
			sendErr = nil
		case errors.Is(err, syscall.ENOBUFS):
			sendErr = fmt.Errorf("send on %s: %w", c.ifi.Name, err)
			d := sendRetry/2 + rand.N(sendRetry)
			if resend == nil {
				resend = time.NewTimer(d)
			} else {
				resend.Reset(d)
			}
			return nil
		}
		return err
	}
	if err := send(); err != nil {
		return fail(ReasonError, fmt.Errorf("send on %s: %w", c.ifi.Name, err))
	}
	defer func() {
		if resend != nil {
			resend.Stop()
		}
	}()
	for {
		var again <-chan time.Time
		if sendErr != nil {
			again = resend.C
		}
		select {
		case r := <-w.ch:
			return EchoReply{From: req.Dst, Seq: req.Seq, TTL: int(r.ttl), RTT: r.at.Sub(sent), Size: r.size + 8}, nil
		case <-again:
			if err := send(); err != nil {
				return fail(ReasonError, fmt.Errorf("send on %s: %w", c.ifi.Name, err))
			}
		case <-c.done:
			return fail(ReasonError, errClosed)
		case <-ctx.Done():
			if sendErr != nil { // never sent: no verdict on the network
				return fail(ReasonError, fmt.Errorf("%w (%w)", timeoutErr(ctx.Err()), sendErr))
			}
			if ctx.Err() != context.DeadlineExceeded {
				return fail(ReasonError, timeoutErr(ctx.Err()))
			}
			return fail(ReasonICMP, timeoutErr(ctx.Err()))
		}
	}
}

// sendRetry is about how long Echo waits before sending again a frame
// the kernel had no room to queue.
const sendRetry = 10 * time.Millisecond

// echoFrame builds the Ethernet frame of an echo request.
func echoFrame(ifi Interface, req EchoRequest) ([]byte, error) {
	ttl := req.TTL
	if ttl == 0 {
		ttl = 64
	}
	if len(req.NextHop) != 6 {
		return nil, fmt.Errorf("echo to %s: next hop MAC %q is not Ethernet", req.Dst, req.NextHop)
	}
	src := ifi.MAC
	if len(src) != 6 {
		src = make(net.HardwareAddr, 6)
	}
	eth := layers.Ethernet{SrcMAC: src, DstMAC: req.NextHop}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	buf := gopacket.NewSerializeBuffer()
	payload := gopacket.Payload(req.Payload)
	var err error
	switch {
	case req.Src.Is4() && req.Dst.Is4():
		eth.EthernetType = layers.EthernetTypeIPv4
		ip := layers.IPv4{
			Version: 4, TTL: ttl, Protocol: layers.IPProtocolICMPv4,
			Flags: layers.IPv4DontFragment, Id: req.Seq,
			SrcIP: req.Src.AsSlice(), DstIP: req.Dst.AsSlice(),
		}
		icmp := layers.ICMPv4{
			TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0),
			Id:       req.ID, Seq: req.Seq,
		}
		err = gopacket.SerializeLayers(buf, opts, &eth, &ip, &icmp, &payload)
	case req.Src.Is6() && req.Dst.Is6():
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := layers.IPv6{
			Version: 6, HopLimit: ttl, NextHeader: layers.IPProtocolICMPv6,
			SrcIP: req.Src.AsSlice(), DstIP: req.Dst.AsSlice(),
		}
		icmp := layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
		if err := icmp.SetNetworkLayerForChecksum(&ip); err != nil {
			return nil, fmt.Errorf("echo to %s: %w", req.Dst, err)
		}
		echo := layers.ICMPv6Echo{Identifier: req.ID, SeqNumber: req.Seq}
		err = gopacket.SerializeLayers(buf, opts, &eth, &ip, &icmp, &echo, &payload)
	default:
		return nil, fmt.Errorf("echo to %s from %s: address families differ", req.Dst, req.Src)
	}
	if err != nil {
		return nil, fmt.Errorf("build echo request to %s: %w", req.Dst, err)
	}
	return buf.Bytes(), nil
}
