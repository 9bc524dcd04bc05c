package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Client sends ARP, NDP and echo requests on one interface and matches
// the replies that arrive on the same FrameConn. One goroutine reads the
// connection and hands each reply to the request waiting for it, so any
// number of goroutines may use a Client at once.
type Client struct {
	ifi  Interface
	conn FrameConn
	// Retry is how often Resolve repeats an unanswered request while its
	// context lasts. Set it before first use; default 250ms.
	Retry time.Duration

	closed atomic.Bool
	done   chan struct{}

	mu     sync.Mutex
	neigh  map[netip.Addr][]chan neighborReply
	echo   map[echoKey]*echoWaiter
	err    error // why the reader stopped
	nowFn  func() time.Time
	maxLen int
}

type neighborReply struct {
	mac net.HardwareAddr
	at  time.Time
}

type echoKey struct{ id, seq uint16 }

type echoWaiter struct {
	src, dst netip.Addr
	payload  []byte
	ch       chan echoReply
}

type echoReply struct {
	ttl  uint8
	size int
	at   time.Time
}

// New returns a Client that sends and receives on conn, which must carry
// the frames of ifi. It starts the reading goroutine; Close stops it and
// closes conn. Callable from any goroutine; conn does not need to be used
// from the namespace it was opened in.
func New(ifi Interface, conn FrameConn) *Client {
	mtu := ifi.MTU
	if mtu <= 0 {
		mtu = 1500
	}
	c := &Client{
		ifi:    ifi,
		conn:   conn,
		Retry:  250 * time.Millisecond,
		done:   make(chan struct{}),
		neigh:  make(map[netip.Addr][]chan neighborReply),
		echo:   make(map[echoKey]*echoWaiter),
		nowFn:  time.Now,
		maxLen: mtu + 64,
	}
	go c.readLoop()
	return c
}

// Interface returns the interface the Client sends on.
func (c *Client) Interface() Interface { return c.ifi }

// Close closes the connection and waits for the reading goroutine to
// end. Pending requests fail. Safe to call more than once.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		<-c.done
		return nil
	}
	err := c.conn.Close()
	<-c.done
	if err != nil {
		return fmt.Errorf("close %s: %w", c.ifi.Name, err)
	}
	return nil
}

// errClosed is returned by requests on a closed Client.
var errClosed = errors.New("probe client closed")

func (c *Client) readLoop() {
	defer close(c.done)
	buf := make([]byte, c.maxLen)
	d := newDecoder()
	failures := 0
	for {
		n, err := c.conn.ReadFrame(buf)
		if err != nil {
			if c.closed.Load() {
				c.stop(errClosed)
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// Transient errors such as ENETDOWN after a link flap are
			// reported once per event; a connection that does nothing
			// but fail is given up.
			if failures++; failures > 100 {
				c.stop(fmt.Errorf("read %s: %w", c.ifi.Name, err))
				return
			}
			continue
		}
		failures = 0
		at := c.nowFn()
		in, ok := d.decode(buf[:n])
		if ok {
			c.dispatch(in, at)
		}
	}
}

// stop records why the reader ended; requests started later fail with it.
func (c *Client) stop(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

func (c *Client) dispatch(in inbound, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch in.kind {
	case kindNeighbor:
		for _, ch := range c.neigh[in.addr] {
			select {
			case ch <- neighborReply{mac: in.mac, at: at}:
			default:
			}
		}
	case kindEcho:
		w := c.echo[echoKey{in.id, in.seq}]
		if w == nil || w.dst != in.addr || (in.dstIP.IsValid() && w.src != in.dstIP) || !equalBytes(w.payload, in.payload) {
			return
		}
		select {
		case w.ch <- echoReply{ttl: in.ttl, size: len(in.payload), at: at}:
		default:
		}
	}
}

func equalBytes(a, b []byte) bool {
	if len(b) < len(a) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// watchNeighbor registers a waiter for a neighbour reply about addr.
func (c *Client) watchNeighbor(addr netip.Addr) (chan neighborReply, func(), error) {
	ch := make(chan neighborReply, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stoppedLocked(); err != nil {
		return nil, nil, err
	}
	c.neigh[addr] = append(c.neigh[addr], ch)
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		list := c.neigh[addr]
		for i, x := range list {
			if x == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(c.neigh, addr)
		} else {
			c.neigh[addr] = list
		}
	}, nil
}

// watchEcho registers a waiter for the echo reply keyed by w.
func (c *Client) watchEcho(k echoKey, w *echoWaiter) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stoppedLocked(); err != nil {
		return nil, err
	}
	if c.echo[k] != nil {
		return nil, fmt.Errorf("echo id %d seq %d already in flight on %s", k.id, k.seq, c.ifi.Name)
	}
	c.echo[k] = w
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.echo[k] == w {
			delete(c.echo, k)
		}
	}, nil
}

func (c *Client) stoppedLocked() error {
	if c.closed.Load() {
		return errClosed
	}
	return c.err
}
