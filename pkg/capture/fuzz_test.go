package capture

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// FuzzDecode feeds arbitrary bytes, and cut and corrupted real frames,
// to the decoder and the formatter (summary, -e and -v): whatever
// arrives on an interface, topo capture must print a line and go on,
// never panic. The line is one line.
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		arpFrame(f, layers.ARPRequest, mac1, ip1, make(net.HardwareAddr, 6), ip2),
		echoFrame(f, layers.ICMPv4TypeEchoRequest, ip1, ip2, 7, 1),
		icmp6Frame(f, layers.ICMPv6TypeNeighborAdvertisement, 0, ip62, ip61, make([]byte, 28)),
		icmp6Frame(f, layers.ICMPv6TypeRouterAdvertisement, 0, ip62, ip61, make([]byte, 44)),
		icmp6Frame(f, layers.ICMPv6TypeDestinationUnreachable, 4, ip62, ip61, make([]byte, 60)),
		udpFrame(f, ip1, ip2, 40000, 53, []byte{0x1a, 0x2b, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 'h', '2', 0, 0, 1, 0, 1}),
		udpFrame(f, ip1, ip2, 68, 67, make([]byte, 240)),
		udpFrame(f, ip61, ip62, 546, 547, []byte{1, 0, 0, 1}),
		tcpFrame(f, ip1, ip2, &layers.TCP{SrcPort: 179, DstPort: 4000, ACK: true}, append(append([]byte(nil), bgpMarker...), 0, 19, 4)),
		build(f, eth(mac1, mac2, layers.EthernetTypeIPv4), ip4(ip1, ip2, protoOSPF)),
		build(f, eth(mac1, mac2, layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeARP}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm := Formatter{Ether: true, Verbose: true, Location: time.UTC}
		fm.SetLabel(0, "h1:eth0")
		out := string(fm.Append(nil, &Frame{Data: data, Len: len(data)}))
		line, _, _ := strings.Cut(out, "\n")
		if line == "" || strings.ContainsAny(line, "\r\t") {
			t.Errorf("bad line %q for % x", line, data)
		}
		for _, e := range fuzzFilters {
			e.match(&fm.d, data)
		}
	})
}
