package link

import (
	"math"
	"testing"
	"time"

	"github.com/topo-lab/topo/pkg/topology"
)

func TestBucketFor(t *testing.T) {
	for _, tc := range []struct {
		desc              string
		rate              uint64
		queue, mtu        int
		burst, limit      uint32
		htb               bool
		minBufferTimeNs   uint64
		wantQueueReadBack int
	}{
		{desc: "10mbit: 50ms burst, 128KiB floor on the queue", rate: 10e6, mtu: 1500,
			burst: 62500, limit: 62500 + 2*65536},
		{desc: "1gbit: 50ms of queue beats the floor", rate: 1e9, mtu: 1500,
			burst: 6250000, limit: 6250000 + 6250000},
		{desc: "200kbit: burst is at least one full packet", rate: 200e3, mtu: 1500,
			burst: 1514, limit: 1514 + 2*65536},
		{desc: "queue of 100 packets", rate: 10e6, queue: 100, mtu: 1500,
			burst: 62500, limit: 151400, wantQueueReadBack: 100},
		{desc: "jumbo frames", rate: 10e6, queue: 10, mtu: 9000,
			burst: 62500, limit: 90140, wantQueueReadBack: 10},
		{desc: "mtu 0 counts as 1500", rate: 800, queue: 1,
			burst: 1514, limit: 1514, htb: true, wantQueueReadBack: 1},
		{desc: "10tbit clamps to 32 bits", rate: 1e13, mtu: 1500,
			burst: math.MaxUint32, limit: math.MaxUint32},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := bucketFor(tc.rate, tc.queue, tc.mtu)
			if b.RateBytes != tc.rate/8 || b.Burst != tc.burst || b.Limit != tc.limit || b.HTB != tc.htb {
				t.Errorf("bucketFor(%d, %d, %d) = %+v, want rate %d burst %d limit %d htb %v",
					tc.rate, tc.queue, tc.mtu, b, tc.rate/8, tc.burst, tc.limit, tc.htb)
			}
			// The kernel's bucket, from the buffer in ticks, must hold
			// the whole burst: Buffer is rounded up.
			if got := uint64(b.Buffer) * nsPerTick * b.RateBytes / uint64(time.Second); !b.HTB && got < uint64(b.Burst) && b.Buffer != math.MaxUint32 {
				t.Errorf("buffer %d ticks holds %d bytes at the rate, less than the burst %d", b.Buffer, got, b.Burst)
			}
			if q := queueFromLimit(b.Limit, tc.mtu); q != tc.wantQueueReadBack {
				t.Errorf("queueFromLimit(%d) = %d, want %d", b.Limit, q, tc.wantQueueReadBack)
			}
		})
	}
}

func TestBucketTBFOrHTB(t *testing.T) {
	// tbf's bucket must fit in 2^32-1 ns: one 1514-byte packet at the
	// rate. Below about 2.8kbit the tree is htb.
	if b := bucketFor(3000, 0, 1500); b.HTB {
		t.Errorf("3kbit: htb, want tbf (%+v)", b)
	}
	if b := bucketFor(2800, 0, 1500); !b.HTB {
		t.Errorf("2.8kbit: tbf, want htb (%+v)", b)
	}
}

func TestNetemRoundTrip(t *testing.T) {
	for _, m := range []topology.Impairment{
		{Delay: 50 * time.Millisecond},
		{Delay: 1999 * time.Nanosecond},
		{Delay: 20 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.5, Corrupt: 0.001, Duplicate: 100, Reorder: 25, Queue: 300},
		{Delay: 4 * time.Minute, Loss: 33.333},
		{Loss: 20},
	} {
		p, err := netemFor(&m)
		if err != nil {
			t.Fatalf("%s: %v", &m, err)
		}
		back := &topology.Impairment{}
		fromNetem(back, p)
		if m.Queue == 0 && back.Queue != netemDefaultLimit {
			t.Errorf("%s: queue reads back %d, want netem's default %d", &m, back.Queue, netemDefaultLimit)
		}
		if !back.Equal(&m) {
			t.Errorf("%s reads back as %s", &m, back)
		}
		if (m.Reorder != 0) != (p.Gap == 1) {
			t.Errorf("%s: gap %d", &m, p.Gap)
		}
	}
}

func TestNetemLimits(t *testing.T) {
	if _, err := netemFor(&topology.Impairment{Delay: 5 * time.Minute}); err == nil {
		t.Error("a 5 minute delay was accepted; netem's 32-bit ticks end at 4m34s")
	}
	for _, c := range []struct {
		pct  float64
		prob uint32
	}{{0, 0}, {100, math.MaxUint32}, {50, 1 << 31}, {-1, 0}, {150, math.MaxUint32}} {
		if got := pctToProb(c.pct); got != c.prob && got != c.prob-1 {
			t.Errorf("pctToProb(%g) = %d, want %d", c.pct, got, c.prob)
		}
	}
	if got := durToTicks(96); got != 2 { // 1.5 ticks rounds to 2
		t.Errorf("durToTicks(96ns) = %d, want 2", got)
	}
}
