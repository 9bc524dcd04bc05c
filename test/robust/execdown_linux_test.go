package robust

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/topo-lab/topo/internal/e2e"
	"github.com/topo-lab/topo/internal/testns"
)

// labInodes maps each namespace of the lab (as /run/netns holds them)
// to its inode.
func (l *labT) labInodes() map[uint64]string {
	l.T.Helper()
	out := map[uint64]string{}
	for _, name := range testns.NetnsFiles(l.Name + "-") {
		out[testns.Inode(l.T, name)] = name
	}
	return out
}

// inLab lists the processes (and threads) in one of the namespaces of
// inodes, as "pid (namespace)", among those mine accepts (nil: all).
func inLab(inodes map[uint64]string, mine func(pid int) bool) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || mine != nil && !mine(pid) {
			continue
		}
		tasks, _ := os.ReadDir("/proc/" + e.Name() + "/task")
		for _, task := range tasks {
			link, err := os.Readlink("/proc/" + e.Name() + "/task/" + task.Name() + "/ns/net")
			if err != nil {
				continue
			}
			ino, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
			if name, ok := inodes[ino]; ok {
				out = append(out, fmt.Sprintf("%s (%s)", e.Name(), name))
			}
		}
	}
	return out
}

// TestExecDownRace takes a 200-host lab down while ten `topo exec` of
// a long sleep start in it, 50 times over, the down started at a
// different point among the execs each time, every other time with
// --wait. Each exec is either refused or killed by down: when down
// reports the lab down, no sleep survives, and with --wait nothing at
// all is left in the lab's namespaces.
func TestExecDownRace(t *testing.T) {
	l := newLab(t, "race", "")
	l.Gen("single", "200")
	const rounds, execs = 50, 10
	for round := range rounds {
		l.Up()
		inodes := l.labInodes()
		wait := round%2 == 1
		down := []string{"down", l.Name}
		if wait {
			down = []string{"down", "--wait", l.Name}
		}
		var procs []*e2e.Proc
		var marks []string
		var d *e2e.Proc
		for i := range execs {
			if i == round%(execs+1) {
				d = l.Start(down...)
			}
			mark := strconv.Itoa(100000 + round*100 + i)
			marks = append(marks, mark)
			host := "h" + strconv.Itoa(1+(round*execs+i)%200)
			procs = append(procs, l.Start("exec", "--lab", l.Name, host, "--", "sleep", mark))
		}
		if d == nil {
			d = l.Start(down...)
		}
		r := d.Wait()
		if r.Code != 0 {
			t.Fatalf("round %d: %v", round, r)
		}
		var survivors []string
		for _, mark := range marks {
			for _, pid := range e2e.Processes("sleep", mark) {
				survivors = append(survivors, fmt.Sprintf("sleep %s (pid %d, netns %d)", mark, pid, e2e.NetnsOf(pid)))
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(survivors) > 0 {
			t.Errorf("round %d: %s said the lab is down, but %d sleeps started by topo exec survive: %v", round, strings.Join(down, " "), len(survivors), survivors)
		}
		if wait {
			// Only this test's processes: once the kernel has freed a
			// namespace, another test's new one may get its inode.
			mine := func(pid int) bool {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
				argv := strings.Split(string(cmdline), "\x00")
				return argv[0] == e2e.Bin() || len(argv) > 1 && argv[0] == "sleep" && slices.Contains(marks, argv[1])
			}
			if held := inLab(inodes, mine); len(held) > 0 {
				t.Errorf("round %d: down --wait returned while processes are still in the lab's namespaces: %v", round, held)
			}
		}
		for _, p := range procs {
			if r := p.Wait(); r.Code == 0 {
				t.Errorf("round %d: an exec succeeded in a lab being taken down:\n%v", round, r)
			}
		}
		l.Gone(fmt.Sprintf("round %d", round))
		if t.Failed() {
			return
		}
	}
}

// TestDownKillsLongExec: `topo down` (and `topo down --wait`) while a
// `topo exec` of a long command runs kills the command, so that exec
// returns with its status (128+SIGKILL), and reports the lab down.
func TestDownKillsLongExec(t *testing.T) {
	l := newLab(t, "longexec", e2e.PairBody)
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			l := l.in(t)
			l.Up()
			h1 := testns.Inode(t, l.NS("h1"))
			mark := strconv.Itoa(200000 + os.Getpid()%100000)
			p := l.Start("exec", "--lab", l.Name, "h1", "--", "sleep", mark)
			if !e2e.Eventually(func() bool {
				for _, pid := range e2e.Processes("sleep", mark) {
					if e2e.NetnsOf(pid) == h1 {
						return true
					}
				}
				return false
			}) {
				p.Cmd.Process.Kill()
				t.Fatalf("the exec never ran: %v", p.Wait())
			}
			args := []string{"down", l.Name}
			if wait {
				args = []string{"down", "--wait", l.Name}
			}
			l.Must(args...)
			if r := p.Wait(); r.Code != 128+int(syscall.SIGKILL) {
				t.Errorf("exec of a command down killed: want exit status %d:\n%v", 128+int(syscall.SIGKILL), r)
			}
			if left := e2e.Processes("sleep", mark); len(left) > 0 {
				t.Errorf("down left the exec's command running: %v", left)
			}
			l.Gone("down during a long exec")
		})
	}
}

// TestDownWaitsForHolders: `down --wait` returns only once the kernel
// has freed the lab's namespaces. While a process outside the lab (this
// test) keeps one open, it waits, says so naming that process, and
// returns once the process lets go.
func TestDownWaitsForHolders(t *testing.T) {
	l := newLab(t, "holders", e2e.PairBody)
	l.Up()
	f, err := os.Open(filepath.Join(testns.NetnsDir, l.NS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := l.Start("down", "--wait", l.Name)
	p.WaitOutput(t, fmt.Sprintf("lab %s: waiting for the kernel to free 1 of its namespaces, still held by processes outside the lab with one open or a thread in one: pids [%d]", l.Name, os.Getpid()))
	if !e2e.Alive(p.Cmd.Process.Pid, append([]string{e2e.Bin()}, p.Args...)...) {
		t.Fatalf("down --wait returned while a namespace of the lab was held: %v", p.Wait())
	}
	f.Close()
	if r := p.Wait(); r.Code != 0 {
		t.Fatalf("down --wait: %v", r)
	}
	l.Gone("down --wait")
}
