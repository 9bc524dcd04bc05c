package probe

import (
	"net/netip"
	"time"
)

// PingOptions tune Ping. Zero values mean defaults.
type PingOptions struct {
	// Count is how many echo requests to send; 0 means until ctx ends.
	Count int
	// Interval is the time between requests; default 1s.
	Interval time.Duration
	// Timeout is how long to wait for each reply, and for the next
	// hop's ARP/NDP answer (ping -W); default 1s.
	Timeout time.Duration
	// Size is the echo data length (ping -s); default 56.
	Size int
	// TTL of the requests (ping -t); default 64.
	TTL uint8
	// NameOf, if set, names the node owning an address, for ICMP errors.
	NameOf func(netip.Addr) string
	// OnReply, if set, is called after every request, answered or not,
	// from the goroutine that called Ping, in sequence order.
	OnReply func(PingReply)
}

// PingReply is the outcome of one echo request of a Ping.
type PingReply struct {
	// Seq is the sequence number, counting from 1.
	Seq int `json:"seq"`
	// From is the address that answered.
	From netip.Addr `json:"from"`
	// Received is false when no reply came within the timeout.
	Received bool `json:"received"`
	// TTL of the reply, RTT since the request, Size of the ICMP message.
	TTL  int           `json:"ttl,omitempty"`
	RTT  time.Duration `json:"rtt_ns,omitempty"`
	Size int           `json:"size,omitempty"`
	// Reason is why no reply came; Err details it, and ICMP is the
	// error that came back instead, if any.
	Reason Reason     `json:"reason,omitempty"`
	Err    error      `json:"-"`
	ICMP   *ICMPError `json:"icmp,omitempty"`
}

// PingStats sums up a Ping, as ping's last lines do.
type PingStats struct {
	// Dst is the destination; Route how it was sent.
	Dst   netip.Addr `json:"dst"`
	Route Route      `json:"route"`
	// MAC is the next hop's hardware address, when resolved.
	MAC string `json:"mac,omitempty"`
	// Sent and Received count echo requests and matched replies.
	Sent     int `json:"sent"`
	Received int `json:"received"`
	// MinRTT, AvgRTT and MaxRTT are over the received replies.
	MinRTT time.Duration `json:"min_rtt_ns"`
	AvgRTT time.Duration `json:"avg_rtt_ns"`
	MaxRTT time.Duration `json:"max_rtt_ns"`
	// TTL of the last reply.
	TTL int `json:"ttl,omitempty"`
	// Reason is set when nothing was received; Error details it, ICMP
	// is the last ICMP error that came back, Neighbor a disagreement
	// between the source's neighbour table and topo's own ARP/NDP.
	Reason   Reason            `json:"reason,omitempty"`
	Error    string            `json:"error,omitempty"`
	ICMP     *ICMPError        `json:"icmp,omitempty"`
	Neighbor *NeighborMismatch `json:"neighbor_mismatch,omitempty"`
}

// Loss is the fraction of requests not answered, 0 to 1; 1 when none
// was sent.
func (s *PingStats) Loss() float64 {
	if s.Sent == 0 {
		return 1
	}
	return float64(s.Sent-s.Received) / float64(s.Sent)
}

// add records one reply in the statistics.
func (s *PingStats) add(r PingReply) {
	s.Sent++
	if !r.Received {
		return
	}
	total := s.AvgRTT*time.Duration(s.Received) + r.RTT
	s.Received++
	s.AvgRTT = total / time.Duration(s.Received)
	if s.Received == 1 || r.RTT < s.MinRTT {
		s.MinRTT = r.RTT
	}
	s.MaxRTT = max(s.MaxRTT, r.RTT)
	s.TTL = r.TTL
}
