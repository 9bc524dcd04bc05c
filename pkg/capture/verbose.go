package capture

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// verboseWidth is where appendLayers wraps its lines.
const verboseWidth = 80

// verboseIndent starts each line of a layer's fields.
const verboseIndent = "    "

// bulk matches the byte slices gopacket shows only by length
// ("Contents=[..14..]", "Payload=[]"), which say nothing the fields do not.
var bulk = regexp.MustCompile(`\b(Contents|Payload)=\[(\.\.\d+\.\.)?\] ?`)

// appendLayers appends every layer gopacket decodes in data, one
// paragraph each, "    Ethernet: SrcMAC=... DstMAC=...", wrapped at 80
// columns (-v).
func appendLayers(b []byte, data []byte) []byte {
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: false, NoCopy: true})
	for _, l := range p.Layers() {
		name := l.LayerType().String()
		var fields string
		switch l := l.(type) {
		case *gopacket.Payload:
			fields = strconv.Itoa(len(l.Payload())) + " bytes"
		case *gopacket.DecodeFailure:
			fields = l.Error().Error()
		default:
			s := gopacket.LayerString(l)
			if i := strings.IndexByte(s, '{'); i >= 0 {
				s = strings.TrimSuffix(s[i+1:], "}")
			}
			fields = strings.TrimSpace(bulk.ReplaceAllString(s, ""))
		}
		b = appendWrapped(b, name+": "+fields)
	}
	return b
}

// appendWrapped appends text broken at spaces into lines of at most
// verboseWidth columns (a longer word gets a line of its own), each
// indented; continuation lines are indented twice.
func appendWrapped(b []byte, text string) []byte {
	col := 0
	for i, w := range strings.Fields(text) {
		switch {
		case i == 0:
			b = append(b, verboseIndent...)
			col = len(verboseIndent)
		case col+1+len(w) > verboseWidth:
			b = append(b, '\n')
			b = append(b, verboseIndent+verboseIndent...)
			col = 2 * len(verboseIndent)
		default:
			b = append(b, ' ')
			col++
		}
		b = append(b, w...)
		col += len(w)
	}
	return append(b, '\n')
}
