package lab

import (
	"context"
	"os"
	"time"

	"github.com/topo-lab/topo/pkg/service"
	"golang.org/x/sys/unix"
)

// waitStatus waits, within limit, until the supervisor's status in dir
// satisfies done, and returns it. The status is read at once, then
// again each time a file is renamed into dir (the supervisor writes
// status.json so): inotify wakes the wait, nothing polls. Where
// inotify cannot be had (the user's instances used up) it reads every
// 10 ms instead. dir must exist.
//
// It returns the last status read (nil if none could be) with
// errWaitLimit when limit passes, or with ctx's error when ctx ends
// first.
func waitStatus(ctx context.Context, dir string, limit time.Duration, done func(*service.Status) bool) (*service.Status, error) {
	changed, stop := dirChanges(dir)
	defer stop()
	var last *service.Status
	err := waitUntil(ctx, limit, changed, func() bool {
		st, err := service.ReadStatus(dir)
		if err != nil || st == nil {
			return false
		}
		last = st
		return done(st)
	})
	return last, err
}

// dirChanges sends on the channel it returns each time a file is
// renamed into dir (a send may stand for several), until stop is
// called; every 10 ms where inotify cannot be had. The watch is in
// place when it returns.
func dirChanges(dir string) (changed <-chan struct{}, stop func()) {
	out := make(chan struct{}, 1)
	finished := make(chan struct{})
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err == nil {
		if _, err = unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO); err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		quit := make(chan struct{})
		go func() {
			defer close(finished)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-quit:
					return
				case <-t.C:
					notify(out)
				}
			}
		}()
		return out, func() { close(quit); <-finished }
	}
	// A nonblocking descriptor in an *os.File waits in Go's poller, so
	// a read deadline ends a read blocked on it.
	f := os.NewFile(uintptr(fd), "inotify")
	go func() {
		defer close(finished)
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			notify(out)
		}
	}()
	return out, func() {
		f.SetReadDeadline(time.Now())
		<-finished
		f.Close()
	}
}

// notify sends on c without blocking: one pending signal is enough.
func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
