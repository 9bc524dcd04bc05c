package probe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"
)

// Neighbor is the answer to an ARP or NDP probe.
type Neighbor struct {
	// IP is the address that was resolved.
	IP netip.Addr `json:"ip"`
	// MAC is the hardware address that answered for IP.
	MAC net.HardwareAddr `json:"-"`
	// Iface is the interface the request went out of.
	Iface string `json:"iface"`
	// RTT is the time from the last request sent to the reply.
	RTT time.Duration `json:"rtt_ns"`
}

// Resolve asks who has target on the Client's interface, with ARP for
// IPv4 and a neighbour solicitation for IPv6, sent from src (an address
// of the interface). It repeats the request every c.Retry until a reply
// comes or ctx ends; give ctx a deadline. A target that does not answer
// in time yields an *Error with ReasonARP. On interfaces without a
// hardware address (loopback) it returns an all-zero MAC at once.
// Callable from any goroutine.
func (c *Client) Resolve(ctx context.Context, src, target netip.Addr) (Neighbor, error) {
	return c.ResolveAt(ctx, src, target, nil)
}

// ResolveAt is Resolve with the request sent straight to the hardware
// address the target is expected at (nil: broadcast, or multicast for
// IPv6). It spares every other host on the LAN a request they would
// only drop, which matters when thousands of pairs are probed; the
// verdict is the same, since only the owner of target answers either.
func (c *Client) ResolveAt(ctx context.Context, src, target netip.Addr, at net.HardwareAddr) (Neighbor, error) {
	src, target = src.Unmap(), target.Unmap()
	op := "arp"
	if target.Is6() {
		op = "ndp"
	}
	fail := func(r Reason, err error) (Neighbor, error) {
		return Neighbor{}, &Error{Reason: r, Op: op, Where: c.ifi.Name, Addr: target, Err: err}
	}
	if !c.ifi.hasL2() {
		return Neighbor{IP: target, MAC: make(net.HardwareAddr, 6), Iface: c.ifi.Name}, nil
	}
	var frame []byte
	var err error
	if target.Is4() {
		frame, err = arpRequest(c.ifi, src, target, at)
	} else {
		frame, err = neighborSolicitation(c.ifi, src, target, at)
	}
	if err != nil {
		return fail(ReasonError, err)
	}
	ch, unwatch, err := c.watchNeighbor(target)
	if err != nil {
		return fail(ReasonError, err)
	}
	defer unwatch()

	retry := c.Retry
	if retry <= 0 {
		retry = 250 * time.Millisecond
	}
	// Retries are jittered so that requests lost together in one burst
	// are not resent together.
	tick := time.NewTimer(retry/2 + rand.N(retry))
	defer tick.Stop()
	var sendErr error
	var sent time.Time
	send := func() {
		sent = c.nowFn()
		if err := c.conn.WriteFrame(frame); err != nil {
			sendErr = fmt.Errorf("send on %s: %w", c.ifi.Name, err)
		}
	}
	send()
	for {
		select {
		case r := <-ch:
			return Neighbor{IP: target, MAC: r.mac, Iface: c.ifi.Name, RTT: r.at.Sub(sent)}, nil
		case <-tick.C:
			send()
			tick.Reset(retry/2 + rand.N(retry))
		case <-c.done:
			return fail(ReasonError, errClosed)
		case <-ctx.Done():
			err := timeoutErr(ctx.Err())
			if sendErr != nil {
				err = fmt.Errorf("%w (%w)", err, sendErr)
			}
			if ctx.Err() != context.DeadlineExceeded {
				return fail(ReasonError, err)
			}
			return fail(ReasonARP, err)
		}
	}
}
