package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestExecVerifiesNode: Exec runs in a node the journal vouches for;
// when the journal's line is stale (another inode than the state's),
// the state decides; a node the lab does not have, or a namespace put
// in a node's place, is refused.
func TestExecVerifiesNode(t *testing.T) {
	testns.NeedRoot(t, "makes network namespaces")
	useRoot(t)
	name := fmt.Sprintf("rb%04x-exec", os.Getpid()&0xffff)
	upLab(t, name, "hosts:\n  h1: {}\n  h2: {}\n")
	run := func(nodeName string) (string, error) {
		var out strings.Builder
		code, err := Exec(name, nodeName, []string{"/bin/sh", "-c", "readlink /proc/self/ns/net"}, nil, &out, &out)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit status %d: %s", code, out.String())
		}
		return strings.TrimSpace(out.String()), err
	}
	inode := func(nodeName string) string {
		return fmt.Sprintf("net:[%d]", testns.Inode(t, topology.Namespace(name, nodeName)))
	}
	if got, err := run("h1"); err != nil || got != inode("h1") {
		t.Fatalf("exec in h1: %q, %v; want %s", got, err, inode("h1"))
	}
	if _, err := run("h9"); err == nil || !strings.Contains(err.Error(), `no node "h9"`) {
		t.Errorf("exec in a node the lab does not have: %v", err)
	}
	// A stale journal line for h2: the state still vouches for it.
	if err := appendRecord(name, "h2", 1); err != nil {
		t.Fatal(err)
	}
	if got, err := run("h2"); err != nil || got != inode("h2") {
		t.Errorf("exec in h2 with a stale journal line: %q, %v; want %s", got, err, inode("h2"))
	}
	// Someone else's namespace under h1's name.
	nsName := topology.Namespace(name, "h1")
	if err := node.Delete(nsName); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "add", nsName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsName).Run() })
	if got, err := run("h1"); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("exec in a namespace the lab did not make: %q, %v; want ErrNotOwned", got, err)
	}
}
