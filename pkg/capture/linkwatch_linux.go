package capture

import (
	"fmt"

	"github.com/topo-lab/topo/pkg/node"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// linkEvent is an interface of a namespace appearing (or changing) or
// going away.
type linkEvent struct {
	name  string
	index int
	gone  bool
}

// linkWatch follows the interfaces of one namespace through the
// kernel's link notifications.
type linkWatch struct {
	s *nl.NetlinkSocket
}

// watchLinks subscribes to the link notifications of ns, on a socket
// made inside it (node.Do). Subscribe before listing the interfaces,
// so that none made in between is missed.
func watchLinks(ns *node.Namespace) (*linkWatch, error) {
	var s *nl.NetlinkSocket
	err := ns.Do(func() error {
		var err error
		s, err = nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("follow the interfaces of %s: %w", ns.Name, err)
	}
	return &linkWatch{s: s}, nil
}

// run calls fn for each notification until the watch is closed.
func (w *linkWatch) run(fn func(linkEvent)) {
	for {
		msgs, from, err := w.s.Receive()
		if err != nil {
			if err == unix.ENOBUFS {
				// Notifications were lost: fn must look again.
				fn(linkEvent{index: -1})
				continue
			}
			return
		}
		if from.Pid != nl.PidKernel {
			continue
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK {
				continue
			}
			hdr := unix.NlMsghdr(m.Header)
			l, err := netlink.LinkDeserialize(&hdr, m.Data)
			if err != nil {
				continue
			}
			a := l.Attrs()
			fn(linkEvent{name: a.Name, index: a.Index, gone: m.Header.Type == unix.RTM_DELLINK})
		}
	}
}

// close ends run.
func (w *linkWatch) close() { w.s.Close() }
