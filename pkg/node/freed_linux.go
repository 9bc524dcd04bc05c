package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// FreeWatch follows network namespaces until the kernel has freed them,
// which it does only once nothing holds one any more: no process or
// thread in it, no open file or mount of it. Each namespace added gets
// an id in a private namespace of the watch's (nothing names it; it
// lives as long as the watch), and the kernel drops that id, and says
// so, when it frees the namespace; an id does not keep its namespace
// alive.
type FreeWatch struct {
	events *nl.NetlinkSocket // namespace-id events of the private namespace
	h      *netlink.Handle   // route socket in it, to give ids
	raw    *nl.SocketHandle  // route socket in it, to ask about ids
	ids    map[int32]uint64  // id -> inode, of namespaces not yet freed
	next   int32
}

// NewFreeWatch makes a watch, its private namespace and sockets. Needs
// CAP_SYS_ADMIN. Close it.
func NewFreeWatch() (*FreeWatch, error) {
	w := &FreeWatch{ids: map[int32]uint64{}, next: 1}
	// The sockets keep the private namespace alive after the thread
	// that made it is gone, and are used from any thread.
	err := InThrowawayNetns(func() error {
		var err error
		if w.events, err = nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_NSID); err != nil {
			return fmt.Errorf("listen for namespace ids: %w", err)
		}
		// Room for the events of a few thousand namespaces freed at
		// once; lost ones are asked for again (see forget).
		_ = w.events.SetReceiveBufferSize(eventBuffer, true)
		if w.h, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			return err
		}
		s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		w.raw = &nl.SocketHandle{Socket: s}
		return nil
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Close releases the watch and its private namespace.
func (w *FreeWatch) Close() {
	if w.events != nil {
		w.events.Close()
	}
	if w.h != nil {
		w.h.Close()
	}
	if w.raw != nil {
		w.raw.Close()
	}
}

// Add watches the network namespace open as f, whose inode is inode.
// f may be closed once Add has returned.
func (w *FreeWatch) Add(f *os.File, inode uint64) error {
	id := w.next
	if err := w.h.SetNetNsIdByFd(int(f.Fd()), int(id)); err != nil {
		return fmt.Errorf("watch namespace %s: %w", f.Name(), err)
	}
	w.next++
	w.ids[id] = inode
	return nil
}

// Wait returns once the kernel has freed every namespace added and
// finished tearing it down (its interfaces, routes and sockets gone),
// and every namespace released before, or when ctx ends. While some
// are held, tick is called about four times a second with their
// inodes (to kill what holds them, or to say what is awaited).
func (w *FreeWatch) Wait(ctx context.Context, tick func(held []uint64)) error {
	// Reads wake up at least this often to notice that ctx ended.
	tv := unix.NsecToTimeval((250 * time.Millisecond).Nanoseconds())
	if err := w.events.SetReceiveTimeout(&tv); err != nil {
		return err
	}
	w.forget()
	for len(w.ids) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wait for the kernel to free %d namespaces: %w", len(w.ids), err)
		}
		msgs, _, err := w.events.Receive()
		switch {
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK):
			if tick != nil {
				tick(w.held())
			}
			w.forget()
			continue
		case errors.Is(err, unix.ENOBUFS):
			w.forget() // events were lost: ask
			continue
		case err != nil:
			return fmt.Errorf("read namespace-id events: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Type == unix.RTM_DELNSID {
				delete(w.ids, int32(nsidOf(m.Data)))
			}
		}
	}
	// The ids go when the kernel starts on a namespace's batch;
	// markers dropped after say when it is done (see cleanup_linux.go):
	// the first marker's id goes when its own batch starts, the
	// second's when the first's is done.
	for range 2 {
		id := w.next
		w.next++
		if err := dropMarker(w.h, int(id)); err != nil {
			return err
		}
		for {
			have, err := w.present()
			if err != nil {
				return err
			}
			if !have[id] {
				break
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("wait for the kernel to free namespaces: %w", err)
			}
			// Any event, or the timeout, is a cue to ask again.
			if _, _, err := w.events.Receive(); err != nil && !errors.Is(err, unix.EAGAIN) &&
				!errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.ENOBUFS) {
				return fmt.Errorf("read namespace-id events: %w", err)
			}
		}
	}
	return nil
}

// eventBuffer is the receive buffer of a FreeWatch's event socket.
const eventBuffer = 8 << 20

// held lists the inodes of the namespaces not yet freed.
func (w *FreeWatch) held() []uint64 {
	out := make([]uint64, 0, len(w.ids))
	for _, inode := range w.ids {
		out = append(out, inode)
	}
	return out
}

// forget drops the ids the kernel no longer has: their namespaces are
// being torn down. Events say the same; asking covers events lost to a
// full socket buffer. When the kernel cannot say, nothing is dropped.
func (w *FreeWatch) forget() {
	have, err := w.present()
	if err != nil {
		return
	}
	for id := range w.ids {
		if !have[id] {
			delete(w.ids, id)
		}
	}
}

// present lists the ids the private namespace has given and the kernel
// has not yet dropped, from one dump: a namespace keeps its id until
// the kernel starts tearing it down, after the last reference is gone.
func (w *FreeWatch) present() (map[int32]bool, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETNSID, unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	req.AddData(nl.NewRtGenMsg())
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: w.raw}
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWNSID)
	if err != nil {
		return nil, fmt.Errorf("list namespace ids: %w", err)
	}
	out := map[int32]bool{}
	for _, m := range msgs {
		if id := nsidOf(m); id >= 0 {
			out[int32(id)] = true
		}
	}
	return out, nil
}
