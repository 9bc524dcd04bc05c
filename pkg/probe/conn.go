package probe

import (
	"net"
	"time"
)

// FrameConn reads and writes whole Ethernet frames on one interface. It
// is the seam between the packet logic (Client) and the raw socket: the
// Linux implementation is an AF_PACKET socket bound to one interface
// inside a namespace (see Dial); tests use in-memory fakes.
//
// ReadFrame blocks until a frame arrives, the read deadline passes, or
// Close is called; after Close it must return an error promptly. All
// methods may be called from any goroutine; ReadFrame is only ever called
// from one goroutine at a time.
type FrameConn interface {
	// ReadFrame copies the next received frame into b and returns its
	// length. Frames the interface sent itself must not be returned.
	ReadFrame(b []byte) (int, error)
	// WriteFrame sends one frame, Ethernet header included.
	WriteFrame(b []byte) error
	// SetReadDeadline makes pending and future ReadFrame calls fail
	// after t; the zero time means no deadline.
	SetReadDeadline(t time.Time) error
	// Close releases the connection and unblocks ReadFrame.
	Close() error
}

// Interface is the interface a Client sends on.
type Interface struct {
	// Name is the interface name inside its namespace ("eth0").
	Name string
	// Index is the interface index inside its namespace.
	Index int
	// MAC is the interface's hardware address; nil or all-zero for
	// interfaces without one (loopback), which need no resolution.
	MAC net.HardwareAddr
	// MTU bounds the frames read; 0 means 1500.
	MTU int
}

// hasL2 reports whether the interface resolves neighbours at all.
func (i Interface) hasL2() bool {
	for _, b := range i.MAC {
		if b != 0 {
			return true
		}
	}
	return false
}
