package node

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The kernel frees namespaces in the background, one batch after the
// other on a single worker, and says nothing when it is done. What it
// does say: when it starts on a batch, it drops the ids that other
// namespaces gave the ones in it, with an RTM_DELNSID event each. So a
// marker namespace, given an id in a namespace that listens for those
// events and then dropped, says by its event that the batches before
// its own are finished (see FreeWatch.Wait).

// dropMarker makes an unnamed network namespace, gives it id in the
// calling thread's namespace (through h) and lets it go.
func dropMarker(h *netlink.Handle, id int) error {
	var fd netns.NsHandle = -1
	err := unshareAndBind([]newNamespace{{flag: unix.CLONE_NEWNET, typ: "net"}}, func() error {
		var err error
		fd, err = netns.GetFromPath(nsPath("net"))
		return err
	})
	if err != nil {
		return fmt.Errorf("make a marker namespace: %w", err)
	}
	defer fd.Close() // its last reference: the kernel queues it to be freed
	if err := h.SetNetNsIdByFd(int(fd), id); err != nil {
		return fmt.Errorf("give the marker namespace an id: %w", err)
	}
	return nil
}

// nsidOf reads NETNSA_NSID from an RTM_NEWNSID/RTM_DELNSID payload
// (an rtgenmsg, then attributes); -1 when absent.
func nsidOf(data []byte) int {
	hdr := nl.NewRtGenMsg().Len()
	if len(data) < hdr {
		return -1
	}
	attrs, err := nl.ParseRouteAttr(data[hdr:])
	if err != nil {
		return -1
	}
	for _, a := range attrs {
		if a.Attr.Type == unix.NETNSA_NSID && len(a.Value) >= 4 {
			return int(int32(nl.NativeEndian().Uint32(a.Value)))
		}
	}
	return -1
}
