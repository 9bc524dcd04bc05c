package link

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/topo-lab/topo/pkg/node"
	"golang.org/x/sys/unix"
)

// A switch floods each broadcast to every port. Without more, every
// copy a veth sends is queued on the receiving CPU's input backlog
// (net.core.netdev_max_backlog, 1,000 by default, shared by the whole
// machine), and on a LAN of more hosts than that an ARP request misses
// some of them. A veth end with generic receive offload on gets a
// receive ring of its own, drained by NAPI (Linux 5.13, "veth: allow
// enabling NAPI even without XDP"), and its peer sends there instead
// of to the backlog, but only packets GRO may take: with TCP
// segmentation offload on at the sending end, only those of a local
// socket. So on a LAN too large for the backlog (VethSpec.FloodQueues)
// a bridge port sends with TSO off, and whatever receives from one has
// GRO on (see floodOffloads).

// The legacy ethtool requests (linux/ethtool.h): stable, and one
// feature each without looking up feature names.
const (
	ethtoolSTSO = 0x1f // set TCP segmentation offload (every TSO flavour)
	ethtoolSGRO = 0x2c // set generic receive offload
)

// ethtoolValue is struct ethtool_value.
type ethtoolValue struct{ cmd, data uint32 }

// ifreqData is struct ifreq with its union holding a pointer.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [16]byte
}

// setOffload sets one ethtool feature (ethtoolSTSO, ethtoolSGRO) of
// interface name in ns on or off. Any goroutine; no thread switch.
func setOffload(ns *node.Namespace, name string, cmd uint32, on bool) error {
	v := ethtoolValue{cmd: cmd}
	if on {
		v.data = 1
	}
	var r ifreqData
	copy(r.name[:unix.IFNAMSIZ-1], name)
	r.data = unsafe.Pointer(&v)
	err := ns.DeviceIoctl(unix.SIOCETHTOOL, unsafe.Pointer(&r))
	runtime.KeepAlive(&v)
	if err != nil {
		what, state := map[uint32]string{ethtoolSTSO: "tso", ethtoolSGRO: "gro"}[cmd], "off"
		if on {
			state = "on"
		}
		return fmt.Errorf("%s:%s: set %s %s (ethtool -K): %w", ns.Name, name, what, state, err)
	}
	return nil
}

// floodOffloads sets the offloads of a veth pair one of whose ends is
// a bridge port: that end (and, on a link between two switches, each)
// sends with TSO off, and the end across from it receives with GRO on.
func floodOffloads(s VethSpec) error {
	if s.AMaster != "" {
		if err := setOffload(s.A, s.AName, ethtoolSTSO, false); err != nil {
			return err
		}
		if err := setOffload(s.B, s.BName, ethtoolSGRO, true); err != nil {
			return err
		}
	}
	if s.BMaster != "" {
		if err := setOffload(s.B, s.BName, ethtoolSTSO, false); err != nil {
			return err
		}
		if err := setOffload(s.A, s.AName, ethtoolSGRO, true); err != nil {
			return err
		}
	}
	return nil
}

// vethNAPIRelease is the first Linux release where GRO alone gives a
// veth its NAPI receive ring.
const vethNAPIRelease = "5.13"

// FloodQueues reports whether this kernel gives a veth with GRO on a
// receive ring of its own, so that the copies a lab's switches flood
// bypass the machine's input backlog; when not, reason says why in one
// sentence. Read from the kernel's release (uname), which is all there
// is to tell by. Any goroutine.
func FloodQueues() (ok bool, reason string) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return false, fmt.Sprintf("topo could not read the kernel's release (%v), so it counts on the input backlog", err)
	}
	return floodQueuesIn(unix.ByteSliceToString(uts.Release[:]))
}

// floodQueuesIn is FloodQueues for a kernel release string. Pure.
func floodQueuesIn(release string) (bool, string) {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return false, fmt.Sprintf("topo cannot read the kernel release %q, so it counts on the input backlog", release)
	}
	if major > 5 || major == 5 && minor >= 13 {
		return true, ""
	}
	return false, fmt.Sprintf("Linux %s queues every frame a switch floods on the input backlog (Linux %s and later give veths a queue of their own)", release, vethNAPIRelease)
}
