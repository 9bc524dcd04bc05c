package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/node"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestOpenNode: OpenNode opens a node's namespace only when the lab
// owns it: the one up made; not a namespace someone put in its place;
// one the journal records for a node claimed and being made again (an
// up not yet done); never for a node or a lab that is not there.
func TestOpenNode(t *testing.T) {
	testns.NeedRoot(t, "makes network namespaces")
	useRoot(t)
	name := fmt.Sprintf("rb%04x-open", os.Getpid()&0xffff)
	upLab(t, name, "hosts:\n  h1: {}\n  h2: {}\n")
	nsName := topology.Namespace(name, "h1")
	_, ns, err := OpenNode(name, "h1")
	if err != nil {
		t.Fatalf("the lab's own node: %v", err)
	}
	if want := testns.Inode(t, nsName); ns.Inode != want {
		t.Errorf("opened inode %d, the namespace is %d", ns.Inode, want)
	}
	ns.Close()
	if _, _, err := OpenNode(name, "h9"); err == nil {
		t.Errorf("a node the lab does not have was opened")
	}
	if _, _, err := OpenNode(name+"x", "h1"); !errors.Is(err, ErrNoState) {
		t.Errorf("a lab that is not up: %v, want ErrNoState", err)
	}

	// Someone else's namespace under h1's name.
	if err := node.Delete(nsName); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "add", nsName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsName).Run() })
	if _, ns, err := OpenNode(name, "h1"); !errors.Is(err, ErrNotOwned) {
		ns.Close()
		t.Fatalf("a namespace the lab did not make: %v, want ErrNotOwned", err)
	}
	// The same namespace once h1 is claimed and the journal records it,
	// as an up that makes h1 again does before it saves the state.
	st, err := LoadState(name)
	if err != nil {
		t.Fatal(err)
	}
	st.Namespaces["h1"] = 0
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	if err := appendRecord(name, "h1", testns.Inode(t, nsName)); err != nil {
		t.Fatal(err)
	}
	_, ns, err = OpenNode(name, "h1")
	if err != nil {
		t.Fatalf("a namespace the journal records: %v", err)
	}
	ns.Close()
}
