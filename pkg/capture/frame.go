package capture

import "time"

// Dir is the direction of a frame as seen on its interface.
type Dir uint8

// The directions: received by the interface, or sent by it.
const (
	In Dir = iota
	Out
)

// String is "<" for a frame that came in and ">" for one that went out,
// the arrows of a capture line.
func (d Dir) String() string {
	if d == Out {
		return ">"
	}
	return "<"
}

// Frame is one captured frame.
type Frame struct {
	// Time is the kernel's receive (or send) timestamp.
	Time time.Time
	// Iface is the capture-wide number of the interface it was seen on,
	// the pcapng interface id.
	Iface int
	// Dir says whether it came in or went out.
	Dir Dir
	// Len is the frame's length on the wire; Data may be shorter when
	// the snap length cut it.
	Len int
	// Data is the frame from its Ethernet header. In a frame handed to
	// a Sink it is only valid until the call returns.
	Data []byte
}
