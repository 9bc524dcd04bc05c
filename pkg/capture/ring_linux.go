package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Snaplen is the most bytes of a frame that are kept, tcpdump's
// default: well above any MTU, as a veth with offloads hands over
// frames of up to 64 KiB.
const Snaplen = 262144

// blockSize is the size of one block of a ring: the kernel fills one
// block at a time and hands it over whole, so a block must hold the
// largest frame (it keeps frames up to blockSize minus 48 bytes).
const blockSize = 256 << 10

// retireTimeout is how long the kernel waits before handing over a
// block that is not full: how late a frame can reach topo on a quiet
// interface, and how often a quiet interface with traffic uses up a
// block of its ring.
const retireTimeout = 20 * time.Millisecond

// frameHeaderLen is TPACKET_ALIGN(sizeof(struct tpacket3_hdr)), where
// the sockaddr_ll of a frame starts.
const frameHeaderLen = 48

// ring is a packet socket bound to one interface with a TPACKET_V3
// receive ring mapped into topo's memory (packet(7)): the kernel
// writes frames, with their timestamps and direction, straight into
// blocks that topo reads and hands back, one system call per block at
// most. One goroutine reads it; Close may come from another.
type ring struct {
	f      *os.File // the socket, non-blocking, so reads wait in Go's poller
	raw    syscall.RawConn
	mem    []byte
	blocks int
	next   atomic.Int64 // block to read next

	seen, drops uint64 // kernel statistics, summed (reading resets them)
}

// newPacketSocket makes a packet socket that listens to no protocol
// yet, so nothing is queued before the ring exists and it is bound.
// The calling thread must be in the interface's namespace (node.Do).
func newPacketSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open packet socket: %w", err)
	}
	return fd, nil
}

// newRing gives the socket fd (from newPacketSocket, now owned by the
// ring) a receive ring of size bytes, maps it, and binds the socket to
// every protocol of interface ifindex: from then on the kernel keeps
// each frame the interface receives or sends, until the ring is full.
// Any thread.
func newRing(fd, ifindex, size int) (*ring, error) {
	fail := func(what string, err error) (*ring, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("packet socket version 3", err)
	}
	// Keep at most Snaplen bytes of a frame: a filter that accepts
	// every frame, cut (it runs before the ring, as tcpdump's does).
	snap := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: Snaplen}}
	prog := unix.SockFprog{Len: 1, Filter: &snap[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fail("attach snap length filter", err)
	}
	blocks := max(size/blockSize, 2)
	req := unix.TpacketReq3{
		Block_size: blockSize, Block_nr: uint32(blocks),
		Frame_size: 2048, Frame_nr: uint32(blocks * blockSize / 2048),
		Retire_blk_tov: uint32(retireTimeout / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail(fmt.Sprintf("receive ring of %d KiB", blocks*blockSize>>10), err)
	}
	mem, err := unix.Mmap(fd, 0, blocks*blockSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail("map receive ring", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		unix.Munmap(mem)
		return fail("bind packet socket", err)
	}
	f := os.NewFile(uintptr(fd), "packet")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		unix.Munmap(mem)
		return nil, err
	}
	return &ring{f: f, raw: raw, mem: mem, blocks: blocks}, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// block returns block i of the ring.
func (r *ring) block(i int) []byte { return r.mem[i*blockSize : (i+1)*blockSize] }

// status is the block's status word, which the kernel and topo hand
// back and forth.
func status(b []byte) *uint32 { return (*uint32)(unsafe.Pointer(&b[8])) }

// wait returns the next block the kernel has handed over, waiting for
// one. It fails once the ring is closed or its deadline has passed.
func (r *ring) wait() ([]byte, error) {
	b := r.block(int(r.next.Load()))
	err := r.raw.Read(func(uintptr) bool {
		return atomic.LoadUint32(status(b))&unix.TP_STATUS_USER != 0
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// release hands the block wait returned back to the kernel.
func (r *ring) release(b []byte) {
	atomic.StoreUint32(status(b), unix.TP_STATUS_KERNEL)
	r.next.Store((r.next.Load() + 1) % int64(r.blocks))
}

// pending reports whether the kernel has handed over a block that the
// reader has not finished with. Any goroutine, while the ring is
// mapped (see stream.caughtUp).
func (r *ring) pending() bool {
	return atomic.LoadUint32(status(r.block(int(r.next.Load()))))&unix.TP_STATUS_USER != 0
}

// frames calls fn for each frame of block b, with its data (which is
// only valid until b is released).
func frames(b []byte, fn func(fr Frame)) {
	le := binary.NativeEndian
	n := le.Uint32(b[12:16])
	off := int(le.Uint32(b[16:20]))
	for range n {
		if off <= 0 || off+frameHeaderLen+12 > len(b) {
			return
		}
		h := b[off:]
		sec, nsec := le.Uint32(h[4:8]), le.Uint32(h[8:12])
		snap, wire := int(le.Uint32(h[12:16])), int(le.Uint32(h[16:20]))
		mac := int(le.Uint16(h[24:26]))
		if mac+snap > len(h) {
			return
		}
		dir := In
		if h[frameHeaderLen+10] == unix.PACKET_OUTGOING {
			dir = Out
		}
		fn(Frame{Time: time.Unix(int64(sec), int64(nsec)), Dir: dir, Len: wire, Data: h[mac : mac+snap]})
		next := int(le.Uint32(h[0:4]))
		if next == 0 {
			return
		}
		off += next
	}
}

// readStats adds the kernel's counts since the last call (frames it
// handled, frames it dropped for want of room) to the ring's.
func (r *ring) readStats() {
	var st *unix.TpacketStatsV3
	var err error
	cerr := r.raw.Control(func(fd uintptr) {
		st, err = unix.GetsockoptTpacketStatsV3(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if cerr != nil || err != nil {
		return
	}
	// tp_packets counts the drops too.
	r.seen += uint64(st.Packets - st.Drops)
	r.drops += uint64(st.Drops)
}

// setDeadline makes wait fail once t has passed with no block ready.
func (r *ring) setDeadline(t time.Time) { r.f.SetReadDeadline(t) }

// close reads the last statistics, unmaps the ring and closes the
// socket. Only the reading goroutine may call it, after its last wait.
//
// In that order: the kernel frees the socket when its last reference
// goes, waiting for an RCU grace period or two (packet_release), and
// x/sys/unix's Munmap holds a process-wide lock during the call, so a
// mapping that outlived the descriptor would make every stream's end
// wait for the others'.
func (r *ring) close() {
	r.readStats()
	unix.Munmap(r.mem)
	r.mem = nil
	r.f.Close()
}

// discard closes a ring no goroutine reads.
func (r *ring) discard() {
	unix.Munmap(r.mem)
	r.f.Close()
}

// interrupt makes a wait in progress, or the next, fail: from any
// goroutine, while the reader may be waiting.
func (r *ring) interrupt() { r.f.SetReadDeadline(time.Unix(1, 0)) }

// errEnded is how a stream ends when its ring was interrupted or its
// deadline passed.
func errEnded(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed)
}
