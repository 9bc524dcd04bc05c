package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sh runs a command and returns its combined output; it fails t when
// the command fails.
func Sh(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Namespaces lists `ip netns list`, sorted (nil when ip fails).
func Namespaces() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	sort.Strings(names)
	return names
}

// NamespacesWithPrefix lists the entries of `ip netns list` that start
// with prefix, sorted.
func NamespacesWithPrefix(prefix string) []string {
	var out []string
	for _, n := range Namespaces() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// Alive reports whether process pid runs with exactly the command line
// argv and is neither a zombie nor dead: a pid the kernel reused for
// another command does not count.
func Alive(pid int, argv ...string) bool {
	proc := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil || string(cmdline) != strings.Join(argv, "\x00")+"\x00" {
		return false
	}
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// Processes lists the pids of the live processes whose command line is
// exactly argv (a "sleep MARK" a lab's exec left running).
func Processes(argv ...string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && Alive(pid, argv...) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// NetnsOf is the inode of process pid's network namespace (0 if the
// process is gone).
func NetnsOf(pid int) uint64 {
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return 0
	}
	ino, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
	return ino
}

// Eventually polls cond up to a bound (not an assertion on speed: a
// killed process needs a moment to be reaped) and reports whether it
// became true.
func Eventually(cond func() bool) bool {
	for i := 0; i < 100; i++ {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
