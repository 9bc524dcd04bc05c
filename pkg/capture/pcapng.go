package capture

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Pcapng writes a capture as pcapng: one section, an interface block
// per captured interface named "node:iface" (Wireshark's interface
// column), nanosecond timestamps, each frame's direction in its
// epb_flags, and at the end the counts of each interface in a
// statistics block. Interfaces may be added between frames, as they
// appear. Not safe for concurrent use.
type Pcapng struct {
	out       *bufio.Writer
	ng        *pcapgo.NgWriter // nil until the first interface
	flushEach bool
	n         int        // interfaces written
	vec       *vectorOut // nil unless writing to a file descriptor
	batch     epbBatch
}

// pcapngBuffer is the size of the buffer in front of the file.
const pcapngBuffer = 1 << 20

// NewPcapng writes to w. With flushEach every frame is written through
// at once (for a pipe that a live reader such as `wireshark -k -i -`
// follows); otherwise writes are buffered until Flush.
func NewPcapng(w io.Writer, flushEach bool) *Pcapng {
	return &Pcapng{
		out: bufio.NewWriterSize(w, pcapngBuffer), flushEach: flushEach,
		vec: vectorWriter(w), batch: epbBatch{scratch: make([]byte, 0, 256<<10)},
	}
}

// Interface describes a captured interface to a Sink.
type Interface struct {
	// Name is "node:iface".
	Name string
	// Description says more, for the file ("lab L, node h1, interface
	// eth0").
	Description string
	// Filter is the capture filter's text.
	Filter string
	// Snaplen is the most bytes of a frame that are kept.
	Snaplen int
}

// addInterface writes the interface block of the next interface: the
// first added is id 0, the next 1, and so on. The first also starts
// the file.
func (p *Pcapng) addInterface(i Interface) error {
	intf := pcapgo.NgInterface{
		Name: i.Name, Description: i.Description, Filter: i.Filter, OS: runtime.GOOS,
		LinkType: layers.LinkTypeEthernet, SnapLength: uint32(i.Snaplen),
		TimestampResolution: 9,
	}
	if p.ng == nil {
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
			Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "topo capture",
		}}
		// The bufio.Writer is big enough for pcapgo to use it as is.
		ng, err := pcapgo.NewNgWriterInterface(p.out, intf, opts)
		if err != nil {
			return fmt.Errorf("pcapng: %w", err)
		}
		p.ng = ng
	} else if _, err := p.ng.AddInterface(intf); err != nil {
		return fmt.Errorf("pcapng: %w", err)
	}
	p.n++
	return p.flushIfLive()
}

// WriteFrame writes one frame of an interface already added.
func (p *Pcapng) WriteFrame(fr *Frame) error {
	if fr.Iface < 0 || fr.Iface >= p.n {
		return fmt.Errorf("pcapng: frame of interface %d, but %d are described", fr.Iface, p.n)
	}
	flags := pcapgo.NgEpbFlags{Direction: pcapgo.NgEpbFlagDirectionInbound}
	if fr.Dir == Out {
		flags.Direction = pcapgo.NgEpbFlagDirectionOutbound
	}
	ci := gopacket.CaptureInfo{Timestamp: fr.Time, CaptureLength: len(fr.Data), Length: max(fr.Len, len(fr.Data)), InterfaceIndex: fr.Iface}
	if err := p.ng.WritePacketWithOptions(ci, fr.Data, pcapgo.NgPacketOptions{Flags: &flags}); err != nil {
		return fmt.Errorf("pcapng: %w", err)
	}
	return p.flushIfLive()
}

// WriteFrames writes frames of interfaces already added, written
// through at once. On a file descriptor the frames' bytes go to the
// kernel from where they are, in few system calls, without a copy.
func (p *Pcapng) WriteFrames(frames []Frame) error {
	if p.vec == nil {
		for i := range frames {
			if err := p.WriteFrame(&frames[i]); err != nil {
				return err
			}
		}
		return p.out.Flush()
	}
	if err := p.out.Flush(); err != nil {
		return err
	}
	for i := range frames {
		fr := &frames[i]
		if fr.Iface < 0 || fr.Iface >= p.n {
			return fmt.Errorf("pcapng: frame of interface %d, but %d are described", fr.Iface, p.n)
		}
		if p.batch.full() {
			if err := p.vec.writeAll(p.batch.take()); err != nil {
				return fmt.Errorf("pcapng: %w", err)
			}
		}
		p.batch.add(fr)
	}
	if err := p.vec.writeAll(p.batch.take()); err != nil {
		return fmt.Errorf("pcapng: %w", err)
	}
	return nil
}

// writeStats writes an interface's statistics block: frames received
// (those the filter passed) and dropped by the kernel, between start
// and end.
func (p *Pcapng) writeStats(id int, received, dropped uint64, start, end time.Time) error {
	if p.ng == nil {
		return nil
	}
	err := p.ng.WriteInterfaceStats(id, pcapgo.NgInterfaceStatistics{
		LastUpdate: end, StartTime: start, EndTime: end,
		PacketsReceived: received, PacketsDropped: dropped,
	})
	if err != nil {
		return fmt.Errorf("pcapng: %w", err)
	}
	return nil
}

// Flush writes out what is buffered.
func (p *Pcapng) Flush() error { return p.out.Flush() }

func (p *Pcapng) flushIfLive() error {
	if p.flushEach {
		return p.out.Flush()
	}
	return nil
}
