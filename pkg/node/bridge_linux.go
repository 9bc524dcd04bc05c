package node

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// BridgeName is the name of the bridge device of a switch node.
const BridgeName = "br0"

// BridgeIndex is the interface index CreateBridge asks for: the first
// after lo in a new namespace.
const BridgeIndex = 2

// BridgeConfig is what topo sets on a bridge: spanning tree on or off
// and its timers, in the kernel's clock_t (hundredths of a second).
type BridgeConfig struct {
	STP                                         bool
	ForwardDelay, HelloTime, MaxAge, AgeingTime uint32
}

// CreateBridge creates a Linux bridge called name in ns with the given
// settings, up, and returns its interface index. A new bridge is made
// in one request, at BridgeIndex when that is free. An existing bridge
// of that name is reused (given the settings, set up); an existing
// non-bridge is an error. Callable from any goroutine.
func CreateBridge(ns *Namespace, name string, c BridgeConfig) (int, error) {
	err := newBridge(ns, name, BridgeIndex, c)
	if err == nil {
		return BridgeIndex, nil
	}
	if errors.Is(err, unix.EBUSY) { // the index is taken: the kernel picks
		err = newBridge(ns, name, 0, c)
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
	if err := SetBridge(ns, name, c); err != nil {
		return 0, err
	}
	if err := ns.NL.LinkSetUp(l); err != nil {
		return 0, fmt.Errorf("%s: set bridge %s up: %w", ns.Name, name, err)
	}
	return l.Attrs().Index, nil
}

// newBridge sends the one request that makes a bridge, up, with its
// settings, at index (0: the kernel chooses).
func newBridge(ns *Namespace, name string, index int, c BridgeConfig) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(bridgeLinkInfo(c))
	_, err := ns.Request(req, 0)
	return err
}

// bridgeLinkInfo is the IFLA_LINKINFO of a bridge with settings c.
func bridgeLinkInfo(c BridgeConfig) *nl.RtAttr {
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	var state uint32
	if c.STP {
		state = 1
	}
	// The timers first: the kernel takes the attributes in this order,
	// and a forward delay under 2 s is refused while STP is on.
	for _, a := range []struct {
		typ int
		val uint32
	}{
		{nl.IFLA_BR_FORWARD_DELAY, c.ForwardDelay},
		{nl.IFLA_BR_HELLO_TIME, c.HelloTime},
		{nl.IFLA_BR_MAX_AGE, c.MaxAge},
		{nl.IFLA_BR_AGEING_TIME, c.AgeingTime},
	} {
		if a.val != 0 {
			data.AddRtAttr(a.typ, nl.Uint32Attr(a.val))
		}
	}
	data.AddRtAttr(nl.IFLA_BR_STP_STATE, nl.Uint32Attr(state))
	return info
}

// SetBridge gives the existing bridge name in ns the settings c, in one
// request. Callable from any goroutine.
func SetBridge(ns *Namespace, name string, c BridgeConfig) error {
	l, err := ns.NL.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s: bridge %s: %w", ns.Name, name, err)
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	req.AddData(bridgeLinkInfo(c))
	if _, err := ns.Request(req, 0); err != nil {
		return fmt.Errorf("%s: set bridge %s (stp %v): %w", ns.Name, name, c.STP, err)
	}
	return nil
}

// ReadBridge reads the settings of bridge name in ns, asking the kernel
// directly through the namespace's socket.
func ReadBridge(ns *Namespace, name string) (BridgeConfig, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	msgs, err := ns.Request(req, unix.RTM_NEWLINK)
	if err != nil {
		return BridgeConfig{}, fmt.Errorf("%s: read bridge %s: %w", ns.Name, name, err)
	}
	for _, m := range msgs {
		if c, ok := bridgeConfig(m); ok {
			return c, nil
		}
	}
	return BridgeConfig{}, fmt.Errorf("%s: %s reports no bridge settings (not a bridge?)", ns.Name, name)
}

// bridgeConfig digs the IFLA_BR_* settings out of one RTM_NEWLINK
// message's IFLA_LINKINFO/IFLA_INFO_DATA.
func bridgeConfig(msg []byte) (BridgeConfig, bool) {
	var c BridgeConfig
	if len(msg) < unix.SizeofIfInfomsg {
		return c, false
	}
	attrs, err := nl.ParseRouteAttr(msg[unix.SizeofIfInfomsg:])
	if err != nil {
		return c, false
	}
	found := false
	for _, a := range attrs {
		if a.Attr.Type&^unix.NLA_F_NESTED != unix.IFLA_LINKINFO {
			continue
		}
		info, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return c, false
		}
		for _, i := range info {
			if i.Attr.Type&^unix.NLA_F_NESTED != nl.IFLA_INFO_DATA {
				continue
			}
			data, err := nl.ParseRouteAttr(i.Value)
			if err != nil {
				return c, false
			}
			for _, d := range data {
				if len(d.Value) < 4 {
					continue
				}
				v := nl.NativeEndian().Uint32(d.Value)
				switch d.Attr.Type {
				case nl.IFLA_BR_STP_STATE:
					c.STP, found = v != 0, true
				case nl.IFLA_BR_FORWARD_DELAY:
					c.ForwardDelay = v
				case nl.IFLA_BR_HELLO_TIME:
					c.HelloTime = v
				case nl.IFLA_BR_MAX_AGE:
					c.MaxAge = v
				case nl.IFLA_BR_AGEING_TIME:
					c.AgeingTime = v
				}
			}
		}
	}
	return c, found
}
