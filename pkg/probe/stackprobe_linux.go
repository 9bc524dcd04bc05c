package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// icmpErr is an echo answered by an ICMP error.
type icmpErr struct{ e *ICMPError }

func (e *icmpErr) Error() string { return e.e.String() }

// stack returns the Prober's raw ICMP socket of dst's family, opening
// it once.
func (p *Prober) stack(v6 bool) (*stackSocket, error) {
	s, _, err := p.stacks.do(context.Background(), v6, func() (*stackSocket, error) {
		return openStackSocket(p.ns, v6, p.opts.TTL, p.opts.DontFragment)
	}, func(_ *stackSocket, err error) bool { return err == nil })
	return s, err
}

// stackEcho sends one echo request to dst through the node's stack and
// waits the Prober's Timeout for the answer. The error is an *Error:
// ReasonNoRoute or ReasonFiltered when the stack refused to send it,
// ReasonUnreachable (wrapping an *icmpErr) when an ICMP error came
// back, ReasonICMP when nothing did.
func (p *Prober) stackEcho(ctx context.Context, dst netip.Addr, seq uint16) (EchoReply, error) {
	fail := func(r Reason, err error) (EchoReply, error) {
		return EchoReply{}, &Error{Reason: r, Op: "echo", Where: p.ns.Name, Addr: dst, Err: err}
	}
	s, err := p.stack(dst.Is6())
	if err != nil {
		return fail(ReasonError, err)
	}
	ectx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	m, rtt, err := s.echo(ectx, dst, p.id, seq, p.cookie)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = errNoAnswer
	}
	if err = p.verdict(dst, m, err); err != nil {
		return EchoReply{}, err
	}
	return EchoReply{From: dst, Seq: seq, TTL: m.ttl, RTT: rtt, Size: m.size}, nil
}

// errNoAnswer is an echo request that got no answer within the
// Prober's Timeout.
var errNoAnswer = errors.New("no answer within the timeout")

// verdict turns what came back for an echo request to dst (the answer
// m, or err: an errStackSend, errNoAnswer or another error) into nil
// for an echo reply or the *Error stackEcho documents.
func (p *Prober) verdict(dst netip.Addr, m stackMsg, err error) error {
	fail := func(r Reason, err error) error {
		return &Error{Reason: r, Op: "echo", Where: p.ns.Name, Addr: dst, Err: err}
	}
	var refused errStackSend
	switch {
	case errors.As(err, &refused):
		return fail(sendReason(refused.errno), sendText(refused.errno))
	case errors.Is(err, errNoAnswer):
		return fail(ReasonICMP, timeoutErr(context.DeadlineExceeded))
	case err != nil:
		return fail(ReasonError, err)
	case m.err != nil:
		if p.opts.NameOf != nil {
			m.err.FromNode = p.opts.NameOf(m.err.From)
		}
		return fail(ReasonUnreachable, &icmpErr{m.err})
	}
	return nil
}

// sendReason classifies a send the stack refused.
func sendReason(errno unix.Errno) Reason {
	if errno == unix.EPERM {
		return ReasonFiltered
	}
	return ReasonNoRoute
}

// sendText says what a refused send means, with the kernel's words.
func sendText(errno unix.Errno) error {
	var why string
	switch errno {
	case unix.ENETUNREACH:
		why = "no route"
	case unix.EHOSTUNREACH:
		why = "an unreachable route"
	case unix.EINVAL:
		why = "a blackhole route (or no usable source address)"
	case unix.EACCES:
		why = "a prohibit route"
	case unix.EPERM:
		why = "a firewall rule in the node dropped it on its way out"
	case unix.EMSGSIZE:
		why = "larger than the MTU of the interface it would leave by"
	default:
		return fmt.Errorf("the kernel refused to send it: %w", errno)
	}
	return fmt.Errorf("%s (sendto: %w)", why, errno)
}

// explainSilence refines an unanswered echo (ReasonICMP) with the
// node's neighbour entry for the next hop: none, or one still
// unresolved, is ReasonARP; one with a MAC is checked with topo's own
// ARP/NDP: no answer is ReasonARP too (the entry is left from before),
// and a different answer is said in r.Error.
func (p *Prober) explainSilence(ctx context.Context, r *Result, rt Route) {
	link, err := p.ns.NL.LinkByIndex(rt.Index)
	if err != nil || !(Interface{MAC: link.Attrs().HardwareAddr}).hasL2() {
		return
	}
	hop := rt.NextHop()
	fam := unix.AF_INET
	if hop.Is6() {
		fam = unix.AF_INET6
	}
	neighs, err := p.ns.NL.NeighList(rt.Index, fam)
	if err != nil {
		return
	}
	var entry *netlink.Neigh
	for i := range neighs {
		if a, err := ipToAddr(neighs[i].IP); err == nil && a == hop {
			entry = &neighs[i]
		}
	}
	if entry == nil || entry.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) != 0 || len(entry.HardwareAddr) == 0 {
		op := "arp"
		if hop.Is6() {
			op = "ndp"
		}
		r.Reason = ReasonARP
		r.Error = (&Error{Reason: ReasonARP, Op: op, Where: rt.Iface, Addr: hop, Err: timeoutErr(context.DeadlineExceeded)}).Error()
		return
	}
	r.MAC = entry.HardwareAddr.String()
	c, err := p.client(rt.Index)
	if err != nil {
		return
	}
	n, err := p.resolve(ctx, c, rt.Src, hop)
	if ReasonOf(err) == ReasonARP {
		// The entry is left from earlier; the next hop is silent now.
		r.Reason = ReasonARP
		r.Error = fmt.Sprintf("%s (the neighbour table still has it at %s, %s)", err, r.MAC, node.NeighState(entry.State))
		return
	}
	if err != nil || n.MAC.String() == r.MAC {
		return
	}
	r.Neighbor = &NeighborMismatch{Addr: hop, Iface: rt.Iface, Table: r.MAC, State: node.NeighState(entry.State), Answered: n.MAC.String()}
	r.Error = r.Neighbor.String()
}

func nbProto(a netip.Addr) string {
	if a.Is6() {
		return "NDP"
	}
	return "ARP"
}
