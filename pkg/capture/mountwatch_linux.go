package capture

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// mountWatch wakes the capture when the machine's mounts change: a
// namespace of a node is bound (made) or unbound (removed) under
// /run/netns, and the kernel flags /proc/self/mountinfo for poll(2) on
// every change. It also wakes every recheckEvery, for what mounts do
// not show (the lab's state removed by `topo down`).
type mountWatch struct {
	fd      int    // not an os.File: Go's poller would take the kernel's flag first
	wake    [2]int // a pipe that ends the poll at close
	started bool
	done    chan struct{}
}

// recheckEvery is how often the capture looks even without a change.
const recheckEvery = time.Second

func watchMounts() (*mountWatch, error) {
	fd, err := unix.Open("/proc/self/mountinfo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("follow the namespaces: %w", err)
	}
	w := &mountWatch{fd: fd, done: make(chan struct{})}
	if err := unix.Pipe2(w.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("follow the namespaces: %w", err)
	}
	return w, nil
}

// start calls fn after each change (and every recheckEvery) on a
// goroutine of its own, until close.
func (w *mountWatch) start(fn func()) {
	w.started = true
	go func() {
		defer close(w.done)
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLPRI}, {Fd: int32(w.wake[0]), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, int(recheckEvery/time.Millisecond))
			if err != nil && !errors.Is(err, unix.EINTR) {
				return
			}
			if fds[1].Revents != 0 {
				return
			}
			fn()
		}
	}()
}

// close stops the watch and waits until fn has returned for good. Call
// it once.
func (w *mountWatch) close() {
	unix.Write(w.wake[1], []byte{0})
	if w.started {
		<-w.done
	}
	unix.Close(w.wake[0])
	unix.Close(w.wake[1])
	unix.Close(w.fd)
}
