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
	b = f.summary(b, fr.Data, fr.Len)
	b = append(b, '\n')
	if f.Verbose {
		b = appendLayers(b, fr.Data)
	}
	return b
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
