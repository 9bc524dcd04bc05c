package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// WaitNetnsCleanup returns once the kernel has finished tearing down
// every network namespace whose last reference was gone before the
// call (their interfaces, routes, sockets), or when ctx ends.
//
// The kernel frees namespaces in the background, one batch after the
// other on a single worker, and says nothing when it is done. So this
// makes a marker namespace, gives it an id in a private namespace that
// listens for namespace-id events, and drops it: the id's deletion
// event comes when the worker starts on the marker's batch, which
// holds or follows every namespace released before. A second marker,
// dropped once the first is being freed, is only started on after that
// batch is finished. Nothing outside the private namespace is touched.
// Needs CAP_SYS_ADMIN. Any goroutine.
func WaitNetnsCleanup(ctx context.Context) error {
	return InThrowawayNetns(func() error {
		events, err := nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_NSID)
		if err != nil {
			return fmt.Errorf("listen for namespace ids: %w", err)
		}
		defer events.Close()
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		for id := 1; id <= 2; id++ {
			if err := dropMarker(h, id); err != nil {
				return err
			}
			if err := waitIDDeleted(ctx, events, id); err != nil {
				return err
			}
		}
		return nil
	})
}

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

// waitIDDeleted reads namespace-id events until id is deleted.
func waitIDDeleted(ctx context.Context, events *nl.NetlinkSocket, id int) error {
	// Reads wake up at least this often to notice that ctx ended.
	tv := unix.NsecToTimeval((250 * time.Millisecond).Nanoseconds())
	if err := events.SetReceiveTimeout(&tv); err != nil {
		return err
	}
	for {
		msgs, _, err := events.Receive()
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK) {
			if ctx.Err() != nil {
				return fmt.Errorf("wait for the kernel to free namespaces: %w", ctx.Err())
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read namespace-id events: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Type == unix.RTM_DELNSID && nsidOf(m.Data) == id {
				return nil
			}
		}
	}
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
