package main

import (
	"net/netip"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The requests below are the whole of the floor's netlink traffic: one
// message each, answered by one ACK, on the namespace's own socket.

func (s *space) do(req *nl.NetlinkRequest) error {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: s.sock}
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

func upMsg(index int32) *nl.IfInfomsg {
	m := nl.NewIfInfomsg(unix.AF_UNSPEC)
	m.Index = index
	m.Flags = unix.IFF_UP
	m.Change = unix.IFF_UP
	return m
}

// setUp sets an existing interface up, optionally enslaving it to the
// interface master (0: none), in one RTM_NEWLINK.
func (s *space) setUp(index, master int32) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	req.AddData(upMsg(index))
	if master != 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(master))))
	}
	return s.do(req)
}

// addBridge creates an up bridge with the given name and index.
func (s *space) addBridge(name string, index int32) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.AddData(upMsg(index))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	req.AddData(info)
	return s.do(req)
}

// addVeth creates a veth pair in one request: this end (name, index,
// up, enslaved to master unless 0) here, and the peer (peerName,
// peerIndex) born directly in peer's namespace. The peer cannot be set
// up in the same request: the kernel opens it before the pair is
// joined and veth_open answers ENOTCONN.
func (s *space) addVeth(name string, index, master int32, peer *space, peerName string, peerIndex int32) error {
	peerFd, err := unix.Open(peer.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(peerFd)
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.AddData(upMsg(index))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	if master != 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(master))))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	p := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	pm := nl.NewIfInfomsgChild(p, unix.AF_UNSPEC)
	pm.Index = peerIndex
	p.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(peerName))
	p.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(peerFd)))
	req.AddData(info)
	return s.do(req)
}

// addAddr puts an IPv4 or IPv6 address on an interface.
func (s *space) addAddr(index int32, pfx netip.Prefix) error {
	fam := unix.AF_INET
	if pfx.Addr().Is6() {
		fam = unix.AF_INET6
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	m := nl.NewIfAddrmsg(fam)
	m.Index = uint32(index)
	m.Prefixlen = uint8(pfx.Bits())
	req.AddData(m)
	b := pfx.Addr().AsSlice()
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, b))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, b))
	return s.do(req)
}
