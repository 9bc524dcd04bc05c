package lab

import (
	"os"

	"golang.org/x/sys/unix"
)

// The holder of a lab's lock writes its pid and what it does to the
// holder file, so that processes waiting for the lab can say for whom.
// The file alone could lie (a holder killed with SIGKILL leaves it
// behind): a waiter believes it only when /proc/locks shows that very
// pid holding the flock, and that process is alive.

// writeHolder records this process as the holder of the lock of the
// lab whose state directory dir is. Call it holding the lock. Best
// effort: without the file, waiters say "another topo".
func writeHolder(dir *os.File, who string) {
	writeFileIn(dir, holderFile, holderRecord(os.Getpid(), who), 0o600)
}

// holderOf says who holds the flock of f, a lab's state directory, as
// far as the kernel confirms it.
func holderOf(f *os.File) holder {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return holder{}
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return holder{}
	}
	pid := flockOwner(locks, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	if pid <= 0 || !alive(pid) {
		return holder{}
	}
	h := holder{pid: pid}
	if data, err := readFileIn(f, holderFile); err == nil {
		if rec, ok := parseHolderRecord(data); ok && rec.pid == pid {
			h.command = rec.command
		}
	}
	return h
}

// alive reports whether a process pid exists.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}
