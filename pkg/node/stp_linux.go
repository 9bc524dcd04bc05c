package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Bridge port states (IFLA_BRPORT_STATE, linux/if_bridge.h).
const (
	portDisabled = iota
	portListening
	portLearning
	portForwarding
	portBlocking
)

var portStateNames = []string{"disabled", "listening", "learning", "forwarding", "blocking"}

// PortStates returns the spanning-tree state of every bridge port in
// ns ("forwarding", "blocking", "listening", ...), keyed by port name.
// One RTM_GETLINK dump of the bridge family through the namespace's
// socket; any goroutine.
func PortStates(ns *Namespace) (map[string]string, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
	req.AddData(nl.NewIfInfomsg(unix.AF_BRIDGE))
	msgs, err := ns.Request(req, unix.RTM_NEWLINK)
	if err != nil {
		return nil, fmt.Errorf("%s: list bridge ports: %w", ns.Name, err)
	}
	out := map[string]string{}
	for _, m := range msgs {
		name, state, ok := portState(m)
		if ok && state < len(portStateNames) {
			out[name] = portStateNames[state]
		}
	}
	return out, nil
}

// portState digs the name and IFLA_PROTINFO/IFLA_BRPORT_STATE out of one
// RTM_NEWLINK message of the bridge family.
func portState(msg []byte) (string, int, bool) {
	if len(msg) < unix.SizeofIfInfomsg {
		return "", 0, false
	}
	attrs, err := nl.ParseRouteAttr(msg[unix.SizeofIfInfomsg:])
	if err != nil {
		return "", 0, false
	}
	name, state, found := "", 0, false
	for _, a := range attrs {
		switch a.Attr.Type &^ unix.NLA_F_NESTED {
		case unix.IFLA_IFNAME:
			name = string(trimZero(a.Value))
		case unix.IFLA_PROTINFO:
			info, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				continue
			}
			for _, i := range info {
				if i.Attr.Type&^unix.NLA_F_NESTED == nl.IFLA_BRPORT_STATE && len(i.Value) > 0 {
					state, found = int(i.Value[0]), true
				}
			}
		}
	}
	return name, state, found && name != ""
}

func trimZero(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// WaitSTP blocks until no bridge port in ns is listening or learning,
// that is until spanning tree has settled every port to forwarding or
// blocking, or ctx ends. It waits on the kernel's link notifications,
// not on a clock. It returns the ports still converging when ctx ended.
// Any goroutine (the notification socket is made through Do).
func WaitSTP(ctx context.Context, ns *Namespace) ([]string, error) {
	var sub *nl.NetlinkSocket
	err := ns.Do(func() error {
		var err error
		sub, err = nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: watch bridge ports: %w", ns.Name, err)
	}
	defer sub.Close()
	for {
		states, err := PortStates(ns)
		if err != nil {
			return nil, err
		}
		var busy []string
		for name, st := range states {
			if st == portStateNames[portListening] || st == portStateNames[portLearning] {
				busy = append(busy, name)
			}
		}
		if len(busy) == 0 {
			return nil, nil
		}
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(time.Minute)
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return busy, ctx.Err()
		}
		tv := unix.NsecToTimeval(min(left, time.Second).Nanoseconds())
		if err := sub.SetReceiveTimeout(&tv); err != nil {
			return nil, err
		}
		// Any link notification may be a port changing state; a timeout
		// just loops to look again (the deadline bounds it).
		if _, _, err := sub.Receive(); err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: watch bridge ports: %w", ns.Name, err)
		}
	}
}
