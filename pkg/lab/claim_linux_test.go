package lab

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/topo-lab/topo/internal/testns"
	"github.com/topo-lab/topo/pkg/topology"
)

// TestCreateOverForeignDropsClaim: when a namespace topo did not make
// takes a node's name between observe and create, the create is
// refused and the node's claim is dropped, so that no later up adopts
// the foreign namespace as the lab's (nor down deletes it).
func TestCreateOverForeignDropsClaim(t *testing.T) {
	testns.NeedRoot(t, "makes namespaces")
	useRoot(t)
	name := testns.Name("-claim")
	foreign := topology.Namespace(name, "h1")
	if out, err := exec.Command("ip", "netns", "add", foreign).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", foreign).Run() })

	l := &topology.Lab{Name: name, Nodes: []*topology.Node{{Name: "h1", Kind: topology.KindHost}}}
	st := &State{Lab: l}
	own := ownershipOf(st)
	if err := own.claim([]string{"h1"}); err != nil {
		t.Fatal(err)
	}
	hs := newHandles(name)
	defer hs.close()
	x := &executor{lab: l, nodes: l.NodesByName(), st: st, own: own, hs: hs}
	if err := x.createNode("h1"); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("createNode over a foreign namespace = %v, want ErrNotOwned", err)
	}
	if _, claimed := own.inode("h1"); claimed {
		t.Errorf("the claim on h1 survived: a later up would adopt %s", foreign)
	}
}
