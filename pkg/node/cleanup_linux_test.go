package node

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/testns"
)

// TestFreeWatchTornDown: twenty namespaces each hold one end of a
// veth whose other end is in a namespace that stays. The kernel deletes
// those other ends only while it frees the twenty, in the background,
// after they are unmounted; once FreeWatch.Wait returns, none may be
// left.
func TestFreeWatchTornDown(t *testing.T) {
	needRoot(t)
	stay, _ := newNS(t, "w")
	w, err := NewFreeWatch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 20
	for i := range n {
		name := testns.Name("g" + strconv.Itoa(i))
		ns, err := Create(name, CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ns.Close()
		t.Cleanup(func() { Delete(name) })
		peer := "p" + strconv.Itoa(i)
		if out, err := exec.Command("ip", "link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", peer, "netns", stay.Name).CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v: %s", err, out)
		}
		f, ino, err := OpenNetns(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(f, ino); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := Delete(name); err != nil {
			t.Fatal(err)
		}
	}
	left := func() int {
		links, err := stay.NL.LinkList()
		if err != nil {
			t.Fatal(err)
		}
		return len(links) - 1 // lo
	}
	t.Logf("right after the namespaces were deleted, %d of the %d far ends were still there", left(), n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := w.Wait(ctx, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("Wait took %v", time.Since(start))
	if l := left(); l != 0 {
		t.Errorf("Wait returned with %d far ends of veths in freed namespaces still there", l)
	}
}

// TestKillAndWait: a process in the namespace is dead (a zombie, not
// yet reaped by us, its parent) when KillAndWait returns.
func TestKillAndWait(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "k")
	var cmds []*exec.Cmd
	nsFile := netnsFile(t, ns.Name)
	for range 3 {
		cmd, err := Start(ExecSpec{Netns: nsFile, Args: []string{"sleep", "100"}})
		if err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	t.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	})
	killed, err := KillAndWait(context.Background(), map[uint64]bool{ino: true})
	if err != nil || killed != 3 {
		t.Fatalf("KillAndWait = %d, %v; want 3", killed, err)
	}
	for _, c := range cmds {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(c.Process.Pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		// pid (comm) STATE ...
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) == 0 || fields[0] != "Z" {
			t.Errorf("pid %d is in state %v after KillAndWait, want Z (exited)", c.Process.Pid, fields[:1])
		}
	}
}

// TestFreeWatch: a namespace deleted (unmounted) while a process still
// runs in it is not freed, and FreeWatch.Wait keeps waiting, saying
// which namespace it waits for; once the process is killed, Wait
// returns.
func TestFreeWatch(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "fw")
	f := netnsFile(t, ns.Name)
	cmd, err := Start(ExecSpec{Netns: f, Args: []string{"sleep", "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	w, err := NewFreeWatch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(f, ino); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ns.Close()
	if err := Delete(ns.Name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard against a hang only
	defer cancel()
	ticks := 0
	err = w.Wait(ctx, func(held []uint64) {
		// The first tick comes while the process runs; later ones may
		// come after it exited, until the kernel gets to the namespace.
		ticks++
		if len(held) != 1 || held[0] != ino {
			t.Errorf("Wait waits for %v, want [%d]", held, ino)
		}
		cmd.Process.Kill()
	})
	if err != nil {
		t.Fatal(err)
	}
	if ticks == 0 {
		t.Errorf("Wait returned while a process still ran in the namespace")
	}
	select {
	case <-exited:
	default:
		t.Errorf("Wait returned, but the process in the namespace has not exited")
	}
}

// TestKillAll: a shell in the namespace that keeps forking children
// that fork a sleeper and exit leaves none behind KillAll: it scans
// until the namespace is empty.
func TestKillAll(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "ka")
	f := netnsFile(t, ns.Name)
	mark := strconv.Itoa(7000 + os.Getpid()%1000)
	cmd, err := Start(ExecSpec{Netns: f, Args: []string{"sh", "-c", "while :; do (sleep " + mark + " &); done"}})
	if err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	inodes := map[uint64]bool{ino: true}
	// Let the shell get going: some sleepers exist.
	for pids, _ := Processes(inodes); len(pids) < 20; pids, _ = Processes(inodes) {
		runtime.Gosched()
	}
	killed, err := KillAll(context.Background(), inodes)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := Processes(inodes); err != nil || len(pids) > 0 {
		t.Fatalf("after KillAll (%d killed), %v are still in the namespace (%v)", killed, pids, err)
	}
}
