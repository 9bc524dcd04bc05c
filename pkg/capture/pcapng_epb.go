package capture

import "encoding/binary"

// Enhanced packet blocks written without copying the frames: the
// block's header and trailer are built in a scratch buffer and the
// frame's bytes are handed to the kernel from where they are (the
// ring), in one vectored write per batch. Small frames are copied next
// to their headers instead: a separate piece per small frame would
// cost more than the copy.

const (
	epbType      = 0x00000006
	epbHeaderLen = 28 // type, length, interface, time (2), captured, original
	// epbTrailerLen: epb_flags (code 2, length 4, value), end of
	// options, then the block length again.
	epbTrailerLen = 8 + 4 + 4
	optEPBFlags   = 2
	// copyBelow is the size under which a frame is copied rather than
	// written from where it is.
	copyBelow = 2048
	// maxPieces stays under the kernel's IOV_MAX (1024).
	maxPieces = 1000
)

// epbBatch gathers the pieces of a vectored write of many blocks.
type epbBatch struct {
	scratch []byte   // headers, trailers, small frames
	mark    int      // start of the scratch not yet in pieces
	pieces  [][]byte // in order; point into scratch or into frames
}

// full reports whether another frame might not fit.
func (e *epbBatch) full() bool {
	return len(e.pieces) >= maxPieces-3 || cap(e.scratch)-len(e.scratch) < epbHeaderLen+copyBelow+epbTrailerLen+4
}

// add appends the block of one frame (whose interface, the pcapng
// id, is fr.Iface).
func (e *epbBatch) add(fr *Frame) {
	n := len(fr.Data)
	padded := (n + 3) &^ 3
	total := uint32(epbHeaderLen + padded + epbTrailerLen)
	ts := uint64(fr.Time.UnixNano())
	le := binary.LittleEndian
	h := e.scratch[len(e.scratch) : len(e.scratch)+epbHeaderLen]
	le.PutUint32(h[0:], epbType)
	le.PutUint32(h[4:], total)
	le.PutUint32(h[8:], uint32(fr.Iface))
	le.PutUint32(h[12:], uint32(ts>>32))
	le.PutUint32(h[16:], uint32(ts))
	le.PutUint32(h[20:], uint32(n))
	le.PutUint32(h[24:], uint32(max(fr.Len, n)))
	e.scratch = e.scratch[:len(e.scratch)+epbHeaderLen]
	if n < copyBelow {
		e.scratch = append(e.scratch, fr.Data...)
	} else {
		e.cut()
		e.pieces = append(e.pieces, fr.Data)
	}
	for range padded - n {
		e.scratch = append(e.scratch, 0)
	}
	flags := uint32(1) // inbound
	if fr.Dir == Out {
		flags = 2
	}
	var t [epbTrailerLen]byte
	le.PutUint16(t[0:], optEPBFlags)
	le.PutUint16(t[2:], 4)
	le.PutUint32(t[4:], flags)
	// t[8:12] is the end of options: zero.
	le.PutUint32(t[12:], total)
	e.scratch = append(e.scratch, t[:]...)
}

// cut ends the current piece of scratch.
func (e *epbBatch) cut() {
	if len(e.scratch) > e.mark {
		e.pieces = append(e.pieces, e.scratch[e.mark:len(e.scratch):len(e.scratch)])
		e.mark = len(e.scratch)
	}
}

// take returns the pieces of everything added and empties the batch.
func (e *epbBatch) take() [][]byte {
	e.cut()
	p := e.pieces
	e.pieces, e.scratch, e.mark = e.pieces[:0], e.scratch[:0], 0
	return p
}
