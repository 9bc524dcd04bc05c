package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// VXLANSpec describes the VXLAN interface of a link between two sites.
type VXLANSpec struct {
	// NS is the node's namespace, where the interface is born.
	NS *node.Namespace
	// Name is the interface name in NS.
	Name string
	// VNI, Local, Remote and Port are the tunnel's: Local and Remote
	// are the underlay addresses of this machine and of the far one.
	VNI           int
	Local, Remote netip.Addr
	Port          int
	// MTU of the interface; 0 keeps the kernel's (underlay less 50).
	MTU int
	// MAC is the hardware address; nil lets the kernel choose.
	MAC net.HardwareAddr
	// Master names a bridge in NS the interface becomes a port of; ""
	// for none. MasterIndex is its index when known, else 0.
	Master      string
	MasterIndex int
	// Up sets the interface administratively up.
	Up bool
}

// String names the interface for error messages.
func (s VXLANSpec) String() string {
	return fmt.Sprintf("vxlan %s:%s (vni %d to %s:%d)", s.NS.Name, s.Name, s.VNI, s.Remote, s.Port)
}

// CreateVXLAN makes the VXLAN interface of s with one netlink request
// sent through a socket in the network namespace topo runs in, naming
// the node's namespace as the interface's home (IFLA_NET_NS_FD). The
// kernel then registers the interface directly in the node's
// namespace, so it is never visible where topo runs (nor in the root
// namespace), while the interface's UDP socket, which it opens when
// brought up, lives in the namespace of the request: topo's, which
// reaches the underlay. Master and up go in a second request through
// the node's socket.
//
// If Name exists in NS the error wraps fs.ErrExist and nothing is
// changed; if a step after creation fails the interface is deleted
// again. Any goroutine.
func CreateVXLAN(s VXLANSpec) (err error) {
	err = createVXLAN(s)
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s: %w", s, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	if s.Master == "" && !s.Up {
		return nil
	}
	defer func() {
		if err != nil {
			_ = Delete(s.NS, s.Name)
		}
	}()
	if err := configureEnd(s.NS, s.Name, 0, s.Master, s.MasterIndex, s.Up); err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	return nil
}

func createVXLAN(s VXLANSpec) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s.Name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(s.NS.Fd))))
	if s.MTU > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(s.MTU))))
	}
	if len(s.MAC) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(s.MAC)))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("vxlan"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_VXLAN_ID, nl.Uint32Attr(uint32(s.VNI)))
	if s.Remote.Is4() {
		data.AddRtAttr(nl.IFLA_VXLAN_GROUP, s.Remote.AsSlice())
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL, s.Local.AsSlice())
	} else {
		data.AddRtAttr(nl.IFLA_VXLAN_GROUP6, s.Remote.AsSlice())
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL6, s.Local.AsSlice())
	}
	port := make([]byte, 2)
	binary.BigEndian.PutUint16(port, uint16(s.Port))
	data.AddRtAttr(nl.IFLA_VXLAN_PORT, port)
	// The far end is fixed: nothing to learn, and a frame from another
	// source never becomes a forwarding entry.
	data.AddRtAttr(nl.IFLA_VXLAN_LEARNING, []byte{0})
	req.AddData(info)
	h, err := hereSocket()
	if err != nil {
		return err
	}
	defer h.Close()
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: h}
	_, err = req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// hereSocket opens a route socket in the network namespace of the
// process (its main thread's: the one topo was started in), whatever
// namespace the calling thread is in.
func hereSocket() (*nl.SocketHandle, error) {
	self, err := netns.GetFromPath("/proc/self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open topo's network namespace: %w", err)
	}
	defer self.Close()
	var s *nl.NetlinkSocket
	err = node.Do(self, func() error {
		var err error
		s, err = nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("route socket in topo's network namespace: %w", err)
	}
	return &nl.SocketHandle{Socket: s}, nil
}
