package node

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/topo-lab/topo/internal/testns"
)

// TestWaitNetnsCleanup: twenty namespaces each hold one end of a veth
// whose other end is in a namespace that stays. The kernel deletes
// those other ends only while it frees the twenty, in the background,
// after they are unmounted; once WaitNetnsCleanup returns, none may be
// left.
func TestWaitNetnsCleanup(t *testing.T) {
	needRoot(t)
	stay, _ := newNS(t, "w")
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
	if err := WaitNetnsCleanup(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("WaitNetnsCleanup took %v", time.Since(start))
	if l := left(); l != 0 {
		t.Errorf("WaitNetnsCleanup returned with %d far ends of veths in freed namespaces still there", l)
	}
}

// TestKillAndWait: a process in the namespace is dead (a zombie, not
// yet reaped by us, its parent) when KillAndWait returns.
func TestKillAndWait(t *testing.T) {
	needRoot(t)
	ns, ino := newNS(t, "k")
	var cmds []*exec.Cmd
	for range 3 {
		cmd, err := Start(ExecSpec{Netns: NetnsDir + "/" + ns.Name, Args: []string{"sleep", "100"}})
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
