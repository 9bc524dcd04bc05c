package node

import (
	"encoding/binary"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Forwarding sysctls that can be read over netlink (RTM_GETNETCONF)
// instead of /proc/sys, whose lookups slow down with every namespace on
// the machine (each namespace adds entries to the same dentry chains).
const (
	sysctlForwardV4 = "net.ipv4.ip_forward"
	sysctlForwardV6 = "net.ipv6.conf.all.forwarding"
)

// netconf attribute numbers (linux/netconf.h).
const (
	netconfaIfindex    = 1
	netconfaForwarding = 2
	netconfIfindexAll  = 0xffffffff // NETCONFA_IFINDEX_ALL, -1 as a u32
)

// readForwarding asks the kernel for the "all" forwarding setting of
// one address family in ns. Any goroutine; no thread switches.
func readForwarding(ns *Namespace, family int) (string, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETNETCONF, 0)
	req.AddData(&netconfMsg{family: uint8(family)})
	idx := make([]byte, 4)
	binary.NativeEndian.PutUint32(idx, netconfIfindexAll)
	req.AddData(nl.NewRtAttr(netconfaIfindex, idx))
	msgs, err := ns.Request(req, unix.RTM_NEWNETCONF)
	if err != nil {
		return "", fmt.Errorf("%s: read forwarding: %w", ns.Name, err)
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[4:]) // netconfmsg is padded to 4 bytes
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.Attr.Type == netconfaForwarding && len(a.Value) >= 4 {
				return fmt.Sprint(int32(binary.NativeEndian.Uint32(a.Value))), nil
			}
		}
	}
	return "", fmt.Errorf("%s: the kernel did not report forwarding", ns.Name)
}

// netconfMsg is struct netconfmsg: one family byte, padded to 4.
type netconfMsg struct{ family uint8 }

func (m *netconfMsg) Len() int          { return 4 }
func (m *netconfMsg) Serialize() []byte { return []byte{m.family, 0, 0, 0} }
