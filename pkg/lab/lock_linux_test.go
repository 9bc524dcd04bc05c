package lab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lines is an io.Writer that hands each write on as one line.
type lines chan string

func (c lines) Write(p []byte) (int, error) {
	c <- string(p)
	return len(p), nil
}

// TestLockLabStopsWaiting: a LockLab waiting for a held lab names the
// holder (its command and pid), returns ErrStoppedWaiting as soon as
// its context ends, and does not hold the lab afterwards: once the
// holder lets go, another LockLab gets the lab. The time limits only
// guard against a hang.
func TestLockLabStopsWaiting(t *testing.T) {
	useRoot(t)
	held, err := LockLab(context.Background(), "l1", "topo test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	said := make(lines, 1)
	done := make(chan error, 1)
	go func() {
		l, err := LockLab(ctx, "l1", "topo up", said)
		l.Unlock()
		done <- err
	}()
	if got, want := <-said, waitLine("l1", holder{command: "topo test", pid: os.Getpid()})+"\n"; got != want {
		t.Errorf("waiting LockLab said %q, want %q", got, want)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrStoppedWaiting) {
			t.Fatalf("cancelled LockLab: got %v, want ErrStoppedWaiting", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("LockLab still waits a minute after its context ended")
	}

	// The waiter given up on gets the lab once the holder lets go, and
	// must let go at once, closing the directory. (The holder lets go
	// without a close of its own: inotify would merge the two.)
	closed := watchCloses(t, Dir("l1"))
	if err := unix.Flock(int(held.dir.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	closed()
	// The kernel drops the lock just after it reports the close.
	guard, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	next, err := LockLab(guard, "l1", "topo down", nil)
	if err != nil {
		t.Fatalf("LockLab after the holder let go: %v (the cancelled waiter kept the lab)", err)
	}
	next.Unlock()
}

// watchCloses watches the directory dir for closes of the directory
// itself (not of files in it) and returns what waits for the next,
// failing t if it does not come within a minute.
func watchCloses(t *testing.T, dir string) func() {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_NOWRITE|unix.IN_ONLYDIR); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		buf := make([]byte, 4096)
		for {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			k, err := unix.Poll(pfd, int(time.Minute/time.Millisecond))
			if err == unix.EINTR {
				continue
			}
			if k == 0 || err != nil {
				t.Fatalf("%s: not closed within a minute (%v)", dir, err)
			}
			m, err := unix.Read(fd, buf)
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= m; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				if ev.Len == 0 && ev.Mask&unix.IN_CLOSE_NOWRITE != 0 {
					return
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}

// TestHolderOfStale: the holder file is believed only for the pid that
// holds the lock: one left by a holder that was killed names no one,
// and without a holder the waiter says "another topo".
func TestHolderOfStale(t *testing.T) {
	useRoot(t)
	if err := os.MkdirAll(Dir("l1"), 0o700); err != nil {
		t.Fatal(err)
	}
	// pid 1 is alive, and is not the holder.
	if err := os.WriteFile(filepath.Join(Dir("l1"), holderFile), holderRecord(1, "topo up"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := os.Open(Dir("l1"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := unix.Flock(int(held.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	waiter, err := os.Open(Dir("l1"))
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	if got, want := holderOf(waiter), (holder{pid: os.Getpid()}); got != want {
		t.Errorf("held by this process, stale holder file: got %+v, want %+v", got, want)
	}
	if err := unix.Flock(int(held.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	if got := holderOf(waiter); got != (holder{}) {
		t.Errorf("held by no one: got %+v, want nothing", got)
	}
}
