package link

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Observe reads what the kernel holds in ns: every interface but lo
// (with its global and site scope addresses, the impairment its qdiscs
// apply and, for bridges, STP state), whether lo is up, the routes
// of the main table topo manages, the sysctls named by sysctlKeys and the
// namespace's inode. It makes one
// link dump, one address dump, one qdisc dump (plus a class dump per
// htb root) and one route dump (see managedRoutes), each retried when
// interrupted. Name is set to ns.Name; the caller may rename it to the
// node. Callable from any goroutine (sysctls and STP use ns.Do).
func Observe(ns *node.Namespace, sysctlKeys []string) (*topology.ObservedNode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd), &st); err != nil {
		return nil, fmt.Errorf("%s: stat namespace: %w", ns.Name, err)
	}
	o := &topology.ObservedNode{
		Name:   ns.Name,
		Inode:  st.Ino,
		Ifaces: map[string]*topology.ObservedIface{},
	}
	links, err := node.RetryDump(func() ([]netlink.Link, error) { return ns.NL.LinkList() })
	if err != nil {
		return nil, fmt.Errorf("%s: list links: %w", ns.Name, err)
	}
	byIndex := map[int]*topology.ObservedIface{}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagLoopback != 0 || a.Name == "lo" {
			o.LoopbackUp = o.LoopbackUp || a.Flags&net.FlagUp != 0
			continue
		}
		i := &topology.ObservedIface{
			Name:      a.Name,
			Kind:      l.Type(),
			Index:     a.Index,
			Master:    names[a.MasterIndex],
			MAC:       a.HardwareAddr,
			MTU:       a.MTU,
			AdminUp:   a.Flags&net.FlagUp != 0,
			OperState: a.OperState.String(),
			Carrier:   a.RawFlags&unix.IFF_LOWER_UP != 0,
		}
		if l.Type() == "veth" {
			i.PeerIndex = a.ParentIndex
		}
		if v, ok := l.(*netlink.Vxlan); ok {
			i.VXLAN = observedVXLAN(v)
		}
		if l.Type() == "bridge" {
			c, err := node.ReadBridge(ns, a.Name)
			if err != nil {
				return nil, err
			}
			i.Bridge = observedBridge(c)
		}
		o.Ifaces[a.Name] = i
		byIndex[a.Index] = i
	}
	addrs, err := node.RetryDump(func() ([]netlink.Addr, error) { return ns.NL.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("%s: list addresses: %w", ns.Name, err)
	}
	for _, ad := range addrs {
		i := byIndex[ad.LinkIndex]
		if i == nil || ad.IPNet == nil {
			continue
		}
		if ad.Scope != unix.RT_SCOPE_UNIVERSE && ad.Scope != unix.RT_SCOPE_SITE {
			continue
		}
		ip, ok := netip.AddrFromSlice(ad.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.IsLinkLocalUnicast() {
			continue
		}
		bits, _ := ad.Mask.Size()
		if ad.Flags&unix.IFA_F_PERMANENT == 0 {
			// Learned with a lifetime: SLAAC, DHCP; not topo's.
			i.Leased = append(i.Leased, netip.PrefixFrom(ip, bits))
			continue
		}
		i.Addresses = append(i.Addresses, netip.PrefixFrom(ip, bits))
	}
	if err := observeImpairs(ns, byIndex); err != nil {
		return nil, err
	}
	if o.Routes, err = managedRoutes(ns, names); err != nil {
		return nil, err
	}
	if len(sysctlKeys) > 0 {
		if o.Sysctls, err = node.ReadPresentSysctls(ns, sysctlKeys); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// observedVXLAN is what the kernel keeps of a VXLAN interface's
// tunnel.
func observedVXLAN(v *netlink.Vxlan) *topology.Tunnel {
	t := &topology.Tunnel{VNI: v.VxlanId, Port: v.Port}
	if a, ok := netip.AddrFromSlice(v.Group); ok {
		t.Remote = a.Unmap()
	}
	if a, ok := netip.AddrFromSlice(v.SrcAddr); ok {
		t.Local = a.Unmap()
	}
	return t
}
