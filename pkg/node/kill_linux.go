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
// inode is in inodes, from one scan of /proc/*/ns/net. A process whose
// main thread has exited (a zombie leader) is listed when one of its
// other threads is in such a namespace. The calling process is never
// listed. Processes that exit during the scan, or whose namespace
// cannot be read, are skipped. Callable from any goroutine.
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
		ino, ok := netnsInode("/proc/" + n)
		if !ok {
			ino, ok = threadNetns("/proc/"+n, inodes)
		}
		if ok && inodes[ino] {
			out[ino] = append(out[ino], pid)
		}
	}
	return out, nil
}

// threadNetns is the namespace in inodes that a thread of the process
// at dir (/proc/PID) is in, for a process whose main thread cannot be
// read: it has exited, while other threads run on.
func threadNetns(dir string, inodes map[uint64]bool) (uint64, bool) {
	tids, err := os.ReadDir(dir + "/task")
	if err != nil {
		return 0, false
	}
	for _, t := range tids {
		if ino, ok := netnsInode(dir + "/task/" + t.Name()); ok && inodes[ino] {
			return ino, true
		}
	}
	return 0, false
}

// netnsInode reads the inode out of dir/ns/net ("net:[INODE]"), dir
// being /proc/PID or /proc/PID/task/TID.
func netnsInode(dir string) (uint64, bool) {
	target, err := os.Readlink(dir + "/ns/net")
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

// KillAll kills every process in the namespaces of inodes and returns
// only once a scan of /proc finds none there, twice in a row, or when
// ctx ends. One KillAndWait can miss a process: one forked by a process
// of the namespace after the scan listed the pids, or forked by one
// that then exited before the scan read its namespace. Their children
// are in the namespace too, and a killed process forks no more, so the
// next scans find them. Callable from any goroutine.
func KillAll(ctx context.Context, inodes map[uint64]bool) (killed int, err error) {
	for empty := 0; empty < 2; {
		pids, err := Processes(inodes)
		if err != nil {
			return killed, err
		}
		if len(pids) == 0 {
			empty++
			continue
		}
		empty = 0
		n, err := killAndWait(ctx, pids)
		killed += n
		if err != nil {
			return killed, err
		}
	}
	return killed, nil
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
	return killAndWait(ctx, pids)
}

// killAndWait sends SIGKILL to pids and waits until they have exited,
// or ctx ends.
func killAndWait(ctx context.Context, pids []int) (killed int, err error) {
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

// Holders lists the pids of the processes that hold one of the
// namespaces of inodes: with a thread in one, or with one open as a
// file. It says what keeps a namespace the kernel does not free (a
// mount of it elsewhere can too, and is not listed). One scan of every
// thread and open file in /proc: much slower than Processes. The
// calling process is never listed.
func Holders(inodes map[uint64]bool) []int {
	names, _ := readDirNames("/proc")
	self := os.Getpid()
	var pids []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == self {
			continue
		}
		if holds("/proc/"+n, inodes) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// holds reports whether the process at dir (/proc/PID) has a thread in,
// or a file open of, a namespace of inodes.
func holds(dir string, inodes map[uint64]bool) bool {
	if _, ok := threadNetns(dir, inodes); ok {
		return true
	}
	fds, _ := readDirNames(dir + "/fd")
	for _, fd := range fds {
		// A namespace opened through its bind mount reads as that path,
		// so look at the file itself.
		var st unix.Stat_t
		var sfs unix.Statfs_t
		path := dir + "/fd/" + fd
		if unix.Stat(path, &st) == nil && inodes[st.Ino] && unix.Statfs(path, &sfs) == nil && sfs.Type == nsfsMagic {
			return true
		}
	}
	return false
}

func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
