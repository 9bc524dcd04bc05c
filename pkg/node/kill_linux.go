package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Processes lists the pids of the processes whose network namespace
// inode is in inodes, from one scan of /proc/*/ns/net. The calling
// process is never listed. Processes that exit during the scan, or
// whose namespace cannot be read, are skipped. Callable from any
// goroutine.
func Processes(inodes map[uint64]bool) ([]int, error) {
	by, err := ProcessesIn(inodes)
	var pids []int
	for _, p := range by {
		pids = append(pids, p...)
	}
	return pids, err
}

// ProcessesIn is Processes by namespace: inode -> pids, from one scan.
func ProcessesIn(inodes map[uint64]bool) (map[uint64][]int, error) {
	if len(inodes) == 0 {
		return nil, nil
	}
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	self := os.Getpid()
	out := map[uint64][]int{}
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == self {
			continue
		}
		ino, ok := netnsInode(pid)
		if ok && inodes[ino] {
			out[ino] = append(out[ino], pid)
		}
	}
	return out, nil
}

// netnsInode reads the inode out of /proc/<pid>/ns/net ("net:[INODE]").
func netnsInode(pid int) (uint64, bool) {
	target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(target, "net:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil
}

// KillProcesses sends SIGKILL to every process (except the caller)
// whose network namespace inode is in inodes and returns how many it
// signalled. Processes that are already gone are not errors. It does
// not wait for them to die (see KillAndWait). Callable from any
// goroutine.
func KillProcesses(inodes map[uint64]bool) (killed int, err error) {
	pids, err := Processes(inodes)
	if err != nil {
		return 0, err
	}
	return killPids(pids)
}

// KillAndWait is KillProcesses, then waits until every process it
// signalled has exited, or ctx ends. Each is watched through a pidfd
// opened before the signal, so a reused pid is never mistaken for it.
// Callable from any goroutine.
func KillAndWait(ctx context.Context, inodes map[uint64]bool) (killed int, err error) {
	pids, err := Processes(inodes)
	if err != nil {
		return 0, err
	}
	var fds []unix.PollFd
	defer func() {
		for _, f := range fds {
			unix.Close(int(f.Fd))
		}
	}()
	var errs []error
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("watch pid %d: %w", pid, err))
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		switch err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); {
		case err == nil:
			killed++
		case errors.Is(err, unix.ESRCH):
		default:
			errs = append(errs, fmt.Errorf("kill pid %d: %w", pid, err))
		}
	}
	// A pidfd polls readable once its process has exited.
	for len(fds) > 0 {
		if err := ctx.Err(); err != nil {
			return killed, errors.Join(append(errs, fmt.Errorf("wait for %d killed processes: %w", len(fds), err))...)
		}
		n, err := unix.Poll(fds, 250) // wakes up to notice ctx ending
		if err != nil && !errors.Is(err, unix.EINTR) {
			return killed, errors.Join(append(errs, fmt.Errorf("wait for killed processes: %w", err))...)
		}
		if n <= 0 {
			continue
		}
		live := fds[:0]
		for _, f := range fds {
			if f.Revents == 0 {
				f.Revents = 0
				live = append(live, f)
				continue
			}
			unix.Close(int(f.Fd))
		}
		fds = live
	}
	return killed, errors.Join(errs...)
}

// killPids sends SIGKILL to pids; already gone is not an error.
func killPids(pids []int) (killed int, err error) {
	var errs []error
	for _, pid := range pids {
		switch err := unix.Kill(pid, unix.SIGKILL); {
		case err == nil:
			killed++
		case errors.Is(err, unix.ESRCH):
		default:
			errs = append(errs, fmt.Errorf("kill pid %d: %w", pid, err))
		}
	}
	return killed, errors.Join(errs...)
}
