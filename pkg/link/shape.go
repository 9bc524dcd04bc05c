package link

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

// The qdisc parameters topo derives from an Impairment, and back. This
// file is pure arithmetic, tested without root; tc_linux.go turns the
// numbers into netlink requests and observe_linux.go reads them back.
//
// Design (one egress tree per interface, always replaced whole):
//
//	rate only            tbf root
//	netem fields only    netem root
//	rate and netem       htb root, one class at the rate, netem as its leaf
//
// A rate so low that tbf cannot hold one full-size packet in its bucket
// (below about 3kbit, see tbfMaxBufferNs) uses the htb tree too.

const (
	// nsPerTick is the length of one packet scheduler tick, the unit of
	// tbf's buffer, htb's buffers and netem's latency and jitter: the
	// kernel's PSCHED_TICKS2NS(x) is x << 6 (PSCHED_SHIFT 6).
	nsPerTick = 64
	// ethHeader is what a packet weighs on a veth beyond its IP length:
	// qdiscs count skb->len, which includes the Ethernet header.
	ethHeader = 14
	// burstTime is the bucket topo gives a rate: 50ms of traffic. That
	// is at least rate/HZ for every HZ the kernel may run at, and long
	// enough that a late qdisc timer (a loaded host, an emulated VM)
	// loses no tokens: with 10ms, tbf delivered up to 12% short of
	// the rate in a QEMU VM; with 50ms, within 1%.
	burstTime = 50 * time.Millisecond
	// queueLatency is how much traffic a rate limiter may queue when
	// the file sets no queue: 50ms at the rate, on top of the burst,
	// like `tc qdisc add ... tbf latency 50ms`.
	queueLatency = 50 * time.Millisecond
	// gsoSize is the largest packet TCP hands a veth (GSO/TSO): tbf
	// cuts it into full-size packets as it queues them, so a queue
	// shorter than two of these drops the tail of one and TCP's
	// throughput wobbles (measured: 9.3 instead of 10 Mbit/s).
	gsoSize = 64 << 10
	// netemDefaultLimit is netem's queue in packets when the file sets
	// none (netem's own default).
	netemDefaultLimit = 1000
	// tbfMaxBufferNs is the longest bucket tbf accepts through the
	// buffer field: the kernel clamps it to 2^32-1 ns.
	tbfMaxBufferNs = math.MaxUint32
	// maxNetemTime is the longest delay or jitter netem takes in ticks
	// (a 32-bit count of 64ns ticks, about 4m34s).
	maxNetemTime = time.Duration(math.MaxUint32) * nsPerTick
)

// tokenBucket is a rate limiter's parameters as the kernel takes them.
type tokenBucket struct {
	// RateBytes is the rate in bytes per second.
	RateBytes uint64
	// Burst is the bucket size in bytes; Buffer is the same as the time
	// to send it at the rate, in ticks, rounded up so the kernel's
	// bucket is never smaller than Burst.
	Burst, Buffer uint32
	// Limit is tbf's queue in bytes.
	Limit uint32
	// HTB is set when tbf cannot take this bucket (or netem must sit
	// below the limiter): the tree is htb with one class.
	HTB bool
}

// packetSize is the size a full packet of an interface with this MTU
// weighs in a qdisc.
func packetSize(mtu int) uint64 {
	if mtu <= 0 {
		mtu = 1500
	}
	return uint64(mtu) + ethHeader
}

// bucketFor computes the token bucket for rate (bits/s), queue (packets,
// 0 for topo's choice) and the interface's MTU:
//
//	burst  = max(rate × 50ms, one full packet)
//	limit  = queue × full packet, or when queue is 0
//	         max(burst + rate × 50ms, burst + 2 × 64KiB)
//
// Sizes are clamped to what the kernel's 32-bit fields hold.
func bucketFor(rateBits uint64, queue, mtu int) tokenBucket {
	pkt := packetSize(mtu)
	rate := max(rateBits/8, 1)
	burst := max(mulDur(rate, burstTime), pkt)
	var limit uint64
	if queue > 0 {
		limit = uint64(queue) * pkt
	} else {
		limit = burst + max(mulDur(rate, queueLatency), 2*gsoSize)
	}
	bufNs := sendTime(burst, rate)
	return tokenBucket{
		RateBytes: rate,
		Burst:     clamp32(burst),
		Buffer:    clamp32(ceilDiv(bufNs, nsPerTick)),
		Limit:     clamp32(limit),
		HTB:       bufNs > tbfMaxBufferNs,
	}
}

// queueFromLimit reads a tbf byte limit back as a queue in packets: the
// exact count when the limit is a whole number of full packets (as
// topo sets it for a queue), else 0 (topo's choice).
func queueFromLimit(limit uint32, mtu int) int {
	pkt := packetSize(mtu)
	if limit == 0 || uint64(limit)%pkt != 0 {
		return 0
	}
	return int(uint64(limit) / pkt)
}

// netemParams are netem's options as the kernel takes them.
type netemParams struct {
	// Latency and Jitter are in ticks.
	Latency, Jitter uint32
	// Limit is the queue in packets.
	Limit uint32
	// Loss, Corrupt, Duplicate and Reorder are probabilities scaled to
	// 0..2^32-1.
	Loss, Corrupt, Duplicate, Reorder uint32
	// Gap is 1 when reordering (netem reorders nothing with gap 0).
	Gap uint32
}

// netemFor computes netem's options for m.
func netemFor(m *topology.Impairment) (netemParams, error) {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", m.Delay}, {"jitter", m.Jitter}} {
		if d.v > maxNetemTime {
			return netemParams{}, fmt.Errorf("%s %s is longer than netem's limit of %s", d.name, d.v, maxNetemTime.Truncate(time.Second))
		}
	}
	p := netemParams{
		Latency:   durToTicks(m.Delay),
		Jitter:    durToTicks(m.Jitter),
		Limit:     netemDefaultLimit,
		Loss:      pctToProb(m.Loss),
		Corrupt:   pctToProb(m.Corrupt),
		Duplicate: pctToProb(m.Duplicate),
		Reorder:   pctToProb(m.Reorder),
	}
	if m.Queue > 0 {
		p.Limit = uint32(m.Queue)
	}
	if p.Reorder > 0 {
		p.Gap = 1
	}
	return p, nil
}

// fromNetem fills m's netem fields and queue from netem's options.
func fromNetem(m *topology.Impairment, p netemParams) {
	m.Delay = ticksToDur(p.Latency)
	m.Jitter = ticksToDur(p.Jitter)
	m.Loss = probToPct(p.Loss)
	m.Corrupt = probToPct(p.Corrupt)
	m.Duplicate = probToPct(p.Duplicate)
	m.Reorder = probToPct(p.Reorder)
	m.Queue = int(p.Limit)
}

// durToTicks rounds a duration to the nearest tick.
func durToTicks(d time.Duration) uint32 {
	return clamp32((uint64(d) + nsPerTick/2) / nsPerTick)
}

func ticksToDur(t uint32) time.Duration { return time.Duration(t) * nsPerTick }

// pctToProb scales a percentage to netem's 32-bit probability.
func pctToProb(p float64) uint32 {
	return uint32(math.Round(math.Min(math.Max(p, 0), 100) / 100 * math.MaxUint32))
}

// probToPct is the inverse of pctToProb, rounded to 1e-6 %.
func probToPct(v uint32) float64 {
	return math.Round(float64(v)/math.MaxUint32*100*1e6) / 1e6
}

// mulDur is how many bytes flow in d at rate bytes per second
// (saturating).
func mulDur(rate uint64, d time.Duration) uint64 {
	hi, lo := bits.Mul64(rate, uint64(d))
	if hi >= uint64(time.Second) {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	return q
}

// sendTime is how many nanoseconds n bytes take at rate bytes per
// second, rounded up (saturating).
func sendTime(n, rate uint64) uint64 {
	hi, lo := bits.Mul64(n, uint64(time.Second))
	if hi >= rate {
		return math.MaxUint64
	}
	q, r := bits.Div64(hi, lo, rate)
	return q + min(r, 1)
}

func ceilDiv(a, b uint64) uint64 { return a/b + min(a%b, 1) }

func clamp32(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }
