package capture

import (
	"bufio"
	"fmt"
	"io"
)

// Sink receives a capture: its interfaces as they appear (ids 0, 1,
// 2... in order), its frames in time order, and the counts at the end.
// The session calls it from one goroutine at a time.
type Sink interface {
	// AddInterface describes interface id before its first frame.
	AddInterface(id int, i Interface) error
	// WriteFrame takes one frame; fr.Data is only valid during the call.
	WriteFrame(fr *Frame) error
	// Flush writes out what is buffered; called whenever the session
	// has handed over all the frames it had.
	Flush() error
	// Finish records the counts of every interface, last.
	Finish(stats []IfaceStats) error
}

// batchSink is a Sink that takes many frames at once more cheaply.
type batchSink interface {
	WriteFrames(frames []Frame) error
}

// AddInterface implements Sink; ids must come in order.
func (p *Pcapng) AddInterface(id int, i Interface) error {
	if id != p.n {
		return fmt.Errorf("pcapng: interface %d added as number %d", id, p.n)
	}
	return p.addInterface(i)
}

// Finish implements Sink: a statistics block per interface.
func (p *Pcapng) Finish(stats []IfaceStats) error {
	for id, st := range stats {
		if err := p.writeStats(id, st.Captured, st.Dropped, st.Start, st.End); err != nil {
			return err
		}
	}
	return p.Flush()
}

// Printer is a Sink that writes one line per frame (see Formatter).
type Printer struct {
	f   *Formatter
	out *bufio.Writer
	buf []byte
}

// NewPrinter writes the lines of f to w, buffered until each Flush.
func NewPrinter(w io.Writer, f *Formatter) *Printer {
	return &Printer{f: f, out: bufio.NewWriterSize(w, 64<<10)}
}

// AddInterface implements Sink: the interface's name labels its lines.
func (p *Printer) AddInterface(id int, i Interface) error {
	p.f.SetLabel(id, i.Name)
	return nil
}

// WriteFrame implements Sink.
func (p *Printer) WriteFrame(fr *Frame) error {
	p.buf = p.f.Append(p.buf[:0], fr)
	_, err := p.out.Write(p.buf)
	return err
}

// Flush implements Sink.
func (p *Printer) Flush() error { return p.out.Flush() }

// Finish implements Sink.
func (p *Printer) Finish([]IfaceStats) error { return p.out.Flush() }
