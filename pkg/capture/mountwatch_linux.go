package capture

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// mountWatch wakes the capture when something it follows may have
// changed: the machine's mounts (a node's namespace is bound under
// /run/netns when made, unbound when removed; the kernel flags
// /proc/self/mountinfo for poll(2) on every change), and the files of
// a directory (the lab's state, which `up` rewrites when nodes join and
// a journal it appends to as namespaces are made). It also wakes every
// recheckEvery, for what neither shows.
type mountWatch struct {
	fd      int    // not an os.File: Go's poller would take the kernel's flag first
	dir     int    // inotify descriptor, -1 for none
	wake    [2]int // a pipe that ends the poll at close
	started bool
	done    chan struct{}
}

// recheckEvery is how often the capture looks even without a change.
const recheckEvery = time.Second

// debounce is how long a change waits for the changes that follow it.
const debounce = 10 * time.Millisecond

// watchMounts follows the mounts and, when dir is not "", the files of
// dir.
func watchMounts(dir string) (*mountWatch, error) {
	fd, err := unix.Open("/proc/self/mountinfo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("follow the namespaces: %w", err)
	}
	w := &mountWatch{fd: fd, dir: -1, done: make(chan struct{})}
	if err := unix.Pipe2(w.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("follow the namespaces: %w", err)
	}
	if dir != "" {
		// Best effort: without it, changes are seen at the next mount
		// or recheckEvery.
		if in, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC); err == nil {
			if _, err := unix.InotifyAddWatch(in, dir, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_MODIFY|unix.IN_CREATE); err == nil {
				w.dir = in
			} else {
				unix.Close(in)
			}
		}
	}
	return w, nil
}

// start calls fn after each change (and every recheckEvery) on a
// goroutine of its own, until close.
func (w *mountWatch) start(fn func()) {
	w.started = true
	go func() {
		defer close(w.done)
		fds := []unix.PollFd{{Fd: int32(w.wake[0]), Events: unix.POLLIN}, {Fd: int32(w.fd), Events: unix.POLLPRI}}
		if w.dir >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(w.dir), Events: unix.POLLIN})
		}
		buf := make([]byte, 4096)
		for {
			_, err := unix.Poll(fds, int(recheckEvery/time.Millisecond))
			if err != nil && !errors.Is(err, unix.EINTR) {
				return
			}
			if fds[0].Revents != 0 {
				return
			}
			// Changes come in bursts (an up of many nodes): let the
			// burst pass, then look once for all of it.
			time.Sleep(debounce)
			for w.dir >= 0 { // the events only say "look again"
				if n, err := unix.Read(w.dir, buf); n <= 0 || err != nil {
					break
				}
			}
			unix.Poll(fds[1:2], 0) // takes the mounts' flag
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
	if w.dir >= 0 {
		unix.Close(w.dir)
	}
}
