package capture

import (
	"strconv"
	"time"
)

// Formatter turns frames into the lines `topo capture` prints: the
// time, where the frame was seen and which way it went, and a summary
// of its layers in the manner of tcpdump. It keeps decoding state, so
// one Formatter belongs to one goroutine.
type Formatter struct {
	// Ether adds the Ethernet addresses to each line (-e).
	Ether bool
	// Verbose adds every layer's fields below each line (-v).
	Verbose bool
	// Location is the time zone of the printed times; nil means local.
	Location *time.Location
	// Wrap, when positive, is the width of the terminal: a longer line
	// goes on below, indented to where the summary starts, so that the
	// time, place and protocol columns stay clear. 0 never wraps (for a
	// pipe, one frame a line).
	Wrap int

	labels []string // interface id -> "node:iface"
	width  int      // of the widest label, for alignment
	d      decoded
}

// SetLabel names interface id ("h2:eth0") for the lines of its frames.
// Labels are padded to the widest one set so far, so lines stay
// aligned.
func (f *Formatter) SetLabel(id int, label string) {
	for len(f.labels) <= id {
		f.labels = append(f.labels, "")
	}
	f.labels[id] = label
	f.width = max(f.width, len(label))
}

// Append appends fr's line (and with Verbose its layers' fields), each
// ending in a newline, to b.
func (f *Formatter) Append(b []byte, fr *Frame) []byte {
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	b = fr.Time.In(loc).AppendFormat(b, "15:04:05.000000")
	b = append(b, ' ')
	label := ""
	if fr.Iface >= 0 && fr.Iface < len(f.labels) {
		label = f.labels[fr.Iface]
	}
	b = pad(append(b, label...), f.width-len(label))
	b = append(b, ' ')
	b = append(b, fr.Dir.String()...)
	b = append(b, ' ')
	start := len(b)
	b = f.summary(b, fr.Data, fr.Len)
	if f.Wrap > 0 {
		b = wrap(b, start, start+protoWidth+1, f.Wrap)
	}
	b = append(b, '\n')
	if f.Verbose {
		b = appendLayers(b, fr.Data)
	}
	return b
}

// wrap breaks the line at the end of b (from the last newline before
// summaryStart) at spaces so that no piece is wider than width. The
// first piece keeps the columns before summaryStart whole; the others
// are indented by indent spaces. A word too long for the room is never
// cut: it stays whole on a piece of its own.
func wrap(b []byte, summaryStart, indent, width int) []byte {
	lineStart := 0
	for i := summaryStart - 1; i >= 0; i-- {
		if b[i] == '\n' {
			lineStart = i + 1
			break
		}
	}
	if len(b)-lineStart <= width || indent >= width {
		return b
	}
	line := append([]byte(nil), b[lineStart:]...)
	out := b[:lineStart]
	first := true
	for len(line) > 0 {
		room := width
		if !first {
			out = pad(out, indent)
			room = width - indent
		}
		if len(line) <= room {
			out = append(out, line...)
			break
		}
		cut := lastSpace(line, room, summaryStart-lineStart, first)
		out = append(out, line[:cut]...)
		out = append(out, '\n')
		for cut < len(line) && line[cut] == ' ' {
			cut++
		}
		line = line[cut:]
		first = false
	}
	return out
}

// lastSpace is where to cut line to fit room: at the last space within
// it (after the summary's start on the first piece), or after the
// first word when none fits.
func lastSpace(line []byte, room, summary int, first bool) int {
	min := 1
	if first {
		min = summary + 1
	}
	for i := room; i >= min; i-- {
		if i < len(line) && line[i] == ' ' {
			return i
		}
	}
	for i := min; i < len(line); i++ {
		if line[i] == ' ' {
			return i
		}
	}
	return len(line)
}

// summaryOf is the part of a line after the direction: the frame's
// layers in one line, without a newline.
func (f *Formatter) summaryOf(data []byte) string {
	return string(f.summary(nil, data, len(data)))
}

func (f *Formatter) summary(b []byte, data []byte, wireLen int) []byte {
	d := &f.d
	d.decode(data)
	if d.has&hasEth == 0 {
		return append(b, "frame of "+strconv.Itoa(wireLen)+" bytes [|ether]"...)
	}
	if f.Ether {
		b = append(b, d.eth.SrcMAC.String()...)
		b = append(b, " > "...)
		b = append(b, d.eth.DstMAC.String()...)
		b = append(b, ' ')
	}
	if d.has&hasVLAN != 0 {
		b = append(b, "vlan "...)
		b = strconv.AppendUint(b, uint64(d.vlan.VLANIdentifier), 10)
		b = append(b, ' ')
	}
	switch {
	case d.has&hasARP != 0:
		b = appendARP(b, d)
	case d.has&(hasIP4|hasIP6) != 0:
		b = appendIP(b, d)
	default:
		b = appendOther(b, d, wireLen)
	}
	if d.cut != "" {
		b = append(b, " [|"+d.cut+"]"...)
	}
	return b
}

// protoWidth is the width of the protocol column ("ICMP6 ").
const protoWidth = 5

// appendProto appends the protocol column: name, padded, and a space.
func appendProto(b []byte, name string) []byte {
	return append(pad(append(b, name...), protoWidth-len(name)), ' ')
}

// pad appends n spaces (none for n <= 0).
func pad(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}
