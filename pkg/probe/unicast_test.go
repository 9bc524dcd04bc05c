package probe

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestUnicastNeighbourRequests(t *testing.T) {
	at := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	f, err := arpRequest(Interface{MAC: ourMAC}, ours4, peer4, at)
	if err != nil {
		t.Fatal(err)
	}
	pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	arp := pkt.Layer(layers.LayerTypeARP).(*layers.ARP)
	if !bytes.Equal(eth.DstMAC, at) || arp.Operation != layers.ARPRequest || !bytes.Equal(arp.DstProtAddress, peer4.AsSlice()) {
		t.Errorf("unicast ARP: eth dst %s, op %d, target %v; want %s, request, %s", eth.DstMAC, arp.Operation, arp.DstProtAddress, at, peer4)
	}

	target := netip.MustParseAddr("fd00::12:3456")
	f, err = neighborSolicitation(Interface{MAC: ourMAC}, ours6, target, at)
	if err != nil {
		t.Fatal(err)
	}
	pkt = gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	eth = pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
	ns := pkt.Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation)
	if !bytes.Equal(eth.DstMAC, at) || !ip.DstIP.Equal(target.AsSlice()) || !ns.TargetAddress.Equal(target.AsSlice()) || ip.HopLimit != 255 {
		t.Errorf("unicast NS: eth dst %s, ip dst %s, target %s, hop limit %d", eth.DstMAC, ip.DstIP, ns.TargetAddress, ip.HopLimit)
	}
}
