package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// Reason says why a destination was not reached. The empty Reason means
// it was.
type Reason string

// The failure reasons, from the earliest step that can fail to the latest.
const (
	// ReasonNone: the destination answered.
	ReasonNone Reason = ""
	// ReasonNoRoute: the source's routing table has no route to the
	// destination (or only an unreachable, blackhole or prohibit one).
	ReasonNoRoute Reason = "no-route"
	// ReasonARP: the next hop did not answer ARP (IPv4) or neighbour
	// solicitation (IPv6): layer 2 is broken, a link is down, or the
	// next hop does not own the address.
	ReasonARP Reason = "arp"
	// ReasonICMP: the next hop was resolved but no echo reply came back:
	// filtered, echo ignored, or no route back.
	ReasonICMP Reason = "icmp"
	// ReasonUnreachable: an ICMP or ICMPv6 error came back (destination
	// unreachable, time exceeded, ...); Result.ICMP says who sent it and
	// what it says.
	ReasonUnreachable Reason = "unreachable"
	// ReasonFiltered: the source's own stack refused to send the
	// request: a firewall rule in the node dropped it on its way out.
	ReasonFiltered Reason = "filtered"
	// ReasonError: the probe could not run (namespace missing, socket
	// refused, ...); the error text says why.
	ReasonError Reason = "error"
)

// Error is a failed probe step, in the manner of net.OpError.
type Error struct {
	// Reason classifies the failure.
	Reason Reason
	// Op is the step that failed: "route", "arp", "ndp", "echo", "open".
	Op string
	// Where names the namespace and/or interface, e.g. "lab-h1:eth0".
	Where string
	// Addr is the address the step was about.
	Addr netip.Addr
	// Err is the underlying error.
	Err error
}

// Error renders the failure as "op addr at where: err".
func (e *Error) Error() string {
	s := e.Op
	if e.Addr.IsValid() {
		s += " " + e.Addr.String()
	}
	if e.Where != "" {
		s += " at " + e.Where
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason carried by err: ReasonNone for nil, the
// Reason of the first *Error in its chain, ReasonError otherwise.
func ReasonOf(err error) Reason {
	if err == nil {
		return ReasonNone
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return ReasonError
}

// errNoReply is the cause of a resolution or echo that timed out.
var errNoReply = errors.New("no reply")

// timeoutErr turns the end of ctx into errNoReply when it was a deadline
// and keeps a cancellation visible as such.
func timeoutErr(ctxErr error) error {
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		return fmt.Errorf("%w within the timeout", errNoReply)
	}
	return fmt.Errorf("%w: %w", errNoReply, ctxErr)
}
