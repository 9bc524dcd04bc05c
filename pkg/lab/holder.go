package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// holder is who holds a lab's lock, as far as a process waiting for it
// can tell: pid 0 when unknown, command "" when only the pid is known.
type holder struct {
	command string // what the holder does, e.g. "topo up"
	pid     int
}

func (h holder) String() string {
	switch {
	case h.pid <= 0:
		return "another topo"
	case h.command == "":
		return fmt.Sprintf("another topo, pid %d", h.pid)
	}
	return fmt.Sprintf("%s, pid %d", h.command, h.pid)
}

// waitLine is what a process says when it starts waiting for h.
func waitLine(lab string, h holder) string {
	return fmt.Sprintf("lab %s is being changed by %s; waiting — Ctrl-C to stop", lab, h)
}

// holderRecord is the content of the holder file: pid and command.
func holderRecord(pid int, command string) []byte {
	return []byte(fmt.Sprintf("%d %s\n", pid, command))
}

// parseHolderRecord reads what holderRecord wrote; ok is false for
// anything else (an empty or cut file).
func parseHolderRecord(data []byte) (h holder, ok bool) {
	line, found := strings.CutSuffix(string(data), "\n")
	if !found {
		return holder{}, false
	}
	p, command, _ := strings.Cut(line, " ")
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 || command == "" {
		return holder{}, false
	}
	return holder{command: command, pid: pid}, true
}

// flockOwner returns the pid that /proc/locks (its content procLocks)
// shows holding an exclusive flock on the file with device
// major:minor and inode ino; 0 when none does, or when the holder's pid
// is not visible (the kernel shows it as 0). Waiters, shown as "->"
// lines, are not holders.
func flockOwner(procLocks []byte, major, minor uint32, ino uint64) int {
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, ino)
	sc := bufio.NewScanner(bytes.NewReader(procLocks))
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] != "FLOCK" || f[3] != "WRITE" || f[5] != want {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}
