package node

import (
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
	var pids []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == self {
			continue
		}
		ino, ok := netnsInode(pid)
		if ok && inodes[ino] {
			pids = append(pids, pid)
		}
	}
	return pids, nil
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
// not wait for them to die. Callable from any goroutine.
func KillProcesses(inodes map[uint64]bool) (killed int, err error) {
	pids, err := Processes(inodes)
	if err != nil {
		return 0, err
	}
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
