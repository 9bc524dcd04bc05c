package link

import (
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// VethSpec describes a veth pair between two namespaces.
type VethSpec struct {
	// A and B are the namespaces of the two ends; they may be the same.
	A, B *node.Namespace
	// AName and BName are the interface names in A and in B.
	AName, BName string
	// MTU of both ends; 0 keeps the kernel default.
	MTU int
	// AMAC and BMAC are the hardware addresses; nil lets the kernel
	// choose.
	AMAC, BMAC net.HardwareAddr
	// AMaster and BMaster name a bridge in A (or B) that the end
	// becomes a port of; "" for none.
	AMaster, BMaster string
	// FloodQueues, on a link with a bridge port, gives that port TCP
	// segmentation offload off and the end across from it generic
	// receive offload on, so that the copies the switch floods go to
	// the receiver's own ring instead of the machine's input backlog,
	// which a LAN of more hosts than net.core.netdev_max_backlog
	// overflows (see floodOffloads). It costs TCP through the switch
	// about half its throughput (segmented by the CPU at the port), so
	// it is for such LANs only.
	FloodQueues bool
	// AMasterIndex and BMasterIndex are those bridges' interface
	// indexes when the caller knows them (saving a lookup each); 0 to
	// look the name up.
	AMasterIndex, BMasterIndex int
	// Up sets both ends administratively up.
	Up bool
	// AIndex and BIndex are the interface indexes to give the ends; 0
	// lets the kernel choose. Giving the two ends different indexes
	// matters: when a veth's index equals its peer's, the kernel treats
	// its carrier change as not urgent and the link stays without
	// carrier (dropping packets) for up to a second after it is up.
	// An index already in use fails with an error wrapping unix.EBUSY.
	AIndex, BIndex int
}

// String names the pair as "a:eth0 -> b:eth1" for error messages.
func (s VethSpec) String() string {
	return s.A.Name + ":" + s.AName + " -> " + s.B.Name + ":" + s.BName
}

// CreateVeth creates the veth pair of s with one netlink request sent
// through A's socket: the B end is born in B, so nothing ever appears
// in the root namespace and nothing is moved; names, indexes, MTU,
// MACs, A's master and the up flags all travel in that request. Only a
// master for B takes a second request, through B's socket, and
// FloodQueues one ethtool request per end and feature.
//
// If AName exists in A or BName in B, the error wraps fs.ErrExist and
// nothing is changed. If a step after creation fails, the pair is
// deleted again. Callable from any goroutine; no thread switches.
func CreateVeth(s VethSpec) (err error) {
	err = createVeth(s)
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("veth %s: %w", s, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("veth %s: %w", s, err)
	}
	if s.BMaster == "" && !s.Up && !s.FloodQueues {
		return nil
	}
	defer func() {
		if err != nil {
			_ = Delete(s.A, s.AName)
		}
	}()
	// The far end cannot be brought up (the kernel refuses while its
	// peer is not yet linked) or given a master in the same request.
	if s.BMaster != "" || s.Up {
		if err := configureEnd(s.B, s.BName, s.BIndex, s.BMaster, s.BMasterIndex, s.Up); err != nil {
			return fmt.Errorf("veth %s: %w", s, err)
		}
	}
	// No request creates an interface with its offloads set.
	if s.FloodQueues {
		if err := floodOffloads(s); err != nil {
			return fmt.Errorf("veth %s: %w", s, err)
		}
	}
	return nil
}

// configureEnd gives an existing interface its master and up state in
// one request when its index is known. masterIndex is the master's
// index if known, else 0.
func configureEnd(ns *node.Namespace, name string, index int, master string, masterIndex int, up bool) error {
	if index == 0 {
		return setMasterUp(ns, name, master, up)
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	if up {
		msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	}
	req.AddData(msg)
	if master != "" {
		m, err := masterIndexOf(ns, master, masterIndex)
		if err != nil {
			return fmt.Errorf("%s:%s: %w", ns.Name, name, err)
		}
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(m))))
	}
	if _, err := ns.Request(req, 0); err != nil {
		return fmt.Errorf("%s:%s: set master %q, up %v: %w", ns.Name, name, master, up, err)
	}
	return nil
}

// createVeth sends the one RTM_NEWLINK request that makes the pair:
// both names, indexes, MTUs, MACs and up flags, A's master, and B born
// in B's namespace.
func createVeth(s VethSpec) error {
	var aMaster int
	if s.AMaster != "" {
		m, err := masterIndexOf(s.A, s.AMaster, s.AMasterIndex)
		if err != nil {
			return fmt.Errorf("%s:%s: %w", s.A.Name, s.AName, err)
		}
		aMaster = m
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(s.AIndex)
	if s.Up {
		msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	}
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s.AName)))
	if s.MTU > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(s.MTU))))
	}
	if len(s.AMAC) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(s.AMAC)))
	}
	if aMaster != 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(aMaster))))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	pmsg := nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	pmsg.Index = int32(s.BIndex)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s.BName))
	if s.MTU > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(s.MTU)))
	}
	if len(s.BMAC) > 0 {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(s.BMAC))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(s.B.Fd)))
	req.AddData(info)
	_, err := s.A.Request(req, 0)
	return err
}

// masterIndexOf is known when it is not 0, else the index of the link
// called master in ns.
func masterIndexOf(ns *node.Namespace, master string, known int) (int, error) {
	if known != 0 {
		return known, nil
	}
	m, err := ns.NL.LinkByName(master)
	if err != nil {
		return 0, fmt.Errorf("master %s: %w", master, err)
	}
	return m.Attrs().Index, nil
}

func setMasterUp(ns *node.Namespace, name, master string, up bool) error {
	l, err := ns.NL.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", ns.Name, name, err)
	}
	if master != "" {
		m, err := ns.NL.LinkByName(master)
		if err != nil {
			return fmt.Errorf("%s:%s: master %s: %w", ns.Name, name, master, err)
		}
		if err := ns.NL.LinkSetMasterByIndex(l, m.Attrs().Index); err != nil {
			return fmt.Errorf("%s:%s: set master %s: %w", ns.Name, name, master, err)
		}
	}
	if up {
		if err := ns.NL.LinkSetUp(l); err != nil {
			return fmt.Errorf("%s:%s: set up: %w", ns.Name, name, err)
		}
	}
	return nil
}

// Delete deletes interface name in ns; for a veth this deletes both
// ends. An interface that does not exist is success. Callable from any
// goroutine.
func Delete(ns *node.Namespace, name string) error {
	l, err := ns.NL.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s:%s: %w", ns.Name, name, err)
	}
	if err := ns.NL.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s:%s: %w", ns.Name, name, err)
	}
	return nil
}

// isNotFound reports whether err says a link (or route) is absent.
func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}
