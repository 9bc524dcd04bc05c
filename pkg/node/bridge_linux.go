package node

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// BridgeName is the name of the bridge device of a switch node.
const BridgeName = "br0"

// stpForwardDelay is the forward delay set with STP on, in the
// kernel's clock_t units (1/100 s): 2 s, the least the kernel accepts,
// so ports start forwarding soon.
const stpForwardDelay = 200

// BridgeIndex is the interface index CreateBridge asks for: the first
// after lo in a new namespace.
const BridgeIndex = 2

// CreateBridge creates a Linux bridge called name in ns with spanning
// tree on or off, up, and returns its interface index. A new bridge is
// made in one request, at BridgeIndex when that is free. An existing
// bridge of that name is reused (its STP set as asked, set up); an
// existing non-bridge is an error. Callable from any goroutine.
func CreateBridge(ns *Namespace, name string, stp bool) (int, error) {
	err := newBridge(ns, name, BridgeIndex, stp)
	if err == nil {
		return BridgeIndex, nil
	}
	if errors.Is(err, unix.EBUSY) { // the index is taken: the kernel picks
		err = newBridge(ns, name, 0, stp)
	}
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return 0, fmt.Errorf("%s: create bridge %s: %w", ns.Name, name, err)
	}
	// Made at an index we do not know, or there already: look it up.
	l, err := ns.NL.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("%s: bridge %s: %w", ns.Name, name, err)
	}
	if l.Type() != "bridge" {
		return 0, fmt.Errorf("%s: %s exists and is a %s, not a bridge", ns.Name, name, l.Type())
	}
	if err := SetSTP(ns, name, stp); err != nil {
		return 0, err
	}
	if err := ns.NL.LinkSetUp(l); err != nil {
		return 0, fmt.Errorf("%s: set bridge %s up: %w", ns.Name, name, err)
	}
	return l.Attrs().Index, nil
}

// newBridge sends the one request that makes a bridge, up, with its
// STP state, at index (0: the kernel chooses).
func newBridge(ns *Namespace, name string, index int, stp bool) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(stpLinkInfo(stp))
	_, err := ns.Request(req, 0)
	return err
}

// stpLinkInfo is the IFLA_LINKINFO of a bridge with STP on or off; on
// also sets the forward delay (stpForwardDelay).
func stpLinkInfo(on bool) *nl.RtAttr {
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	var state uint32
	if on {
		state = 1
		data.AddRtAttr(nl.IFLA_BR_FORWARD_DELAY, nl.Uint32Attr(stpForwardDelay))
	}
	data.AddRtAttr(nl.IFLA_BR_STP_STATE, nl.Uint32Attr(state))
	return info
}

// SetSTP turns kernel spanning tree on or off for bridge name in ns;
// turning it on also sets the forward delay to 2 s. netlink.Bridge has
// no STP field, so this sends its own RTM_NEWLINK request through the
// namespace's raw socket. Any goroutine.
func SetSTP(ns *Namespace, name string, on bool) error {
	l, err := ns.NL.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s: bridge %s: %w", ns.Name, name, err)
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	req.AddData(stpLinkInfo(on))
	if _, err := ns.Request(req, 0); err != nil {
		return fmt.Errorf("%s: set STP %v on bridge %s: %w", ns.Name, on, name, err)
	}
	return nil
}

// STP reports whether spanning tree is on for bridge name in ns. Like
// SetSTP it asks the kernel directly through the namespace's socket.
func STP(ns *Namespace, name string) (bool, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	msgs, err := ns.Request(req, unix.RTM_NEWLINK)
	if err != nil {
		return false, fmt.Errorf("%s: read bridge %s: %w", ns.Name, name, err)
	}
	for _, m := range msgs {
		if v, ok := stpState(m); ok {
			return v, nil
		}
	}
	return false, fmt.Errorf("%s: %s reports no bridge STP state (not a bridge?)", ns.Name, name)
}

// stpState digs IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_BR_STP_STATE out of
// one RTM_NEWLINK message.
func stpState(msg []byte) (bool, bool) {
	if len(msg) < unix.SizeofIfInfomsg {
		return false, false
	}
	attrs, err := nl.ParseRouteAttr(msg[unix.SizeofIfInfomsg:])
	if err != nil {
		return false, false
	}
	for _, a := range attrs {
		if a.Attr.Type&^unix.NLA_F_NESTED != unix.IFLA_LINKINFO {
			continue
		}
		info, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return false, false
		}
		for _, i := range info {
			if i.Attr.Type&^unix.NLA_F_NESTED != nl.IFLA_INFO_DATA {
				continue
			}
			data, err := nl.ParseRouteAttr(i.Value)
			if err != nil {
				return false, false
			}
			for _, d := range data {
				if d.Attr.Type == nl.IFLA_BR_STP_STATE && len(d.Value) >= 4 {
					return nl.NativeEndian().Uint32(d.Value) != 0, true
				}
			}
		}
	}
	return false, false
}
